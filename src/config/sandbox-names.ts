import type { z } from 'zod';
import { asRecord, type Loose } from './fields.js';
import { describeValue, didYouMean } from './messages.js';
import { SANDBOX_BUCKET_QUERIES, SANDBOX_COUNT_QUERIES, SANDBOX_QUERIES } from './types.js';

/**
 * The sandbox source answers only its own names (the lists in types.ts, which sandbox-source.ts
 * reads too). A misspelt one would pass here and then fail at the first look, with the candidate
 * already on live traffic (or leave a drift watch inconclusive at every tick): refused now.
 */

const NAMES = { query: SANDBOX_QUERIES, count: SANDBOX_COUNT_QUERIES, histogram: SANDBOX_BUCKET_QUERIES };
type Names = keyof typeof NAMES;

/** The sandbox name fields of each gate kind, and which list each is in. */
const FIELDS: Record<string, Record<string, Names>> = {
  threshold: { query: 'query' },
  agreement: { query: 'query' },
  ratio: { events: 'count', total: 'count' },
  srm: { units: 'count' },
  conversion: { conversions: 'count', exposures: 'count' },
  latency: { buckets: 'histogram' },
  drift: { buckets: 'histogram' },
};

/** Wording as the sandbox source's own errors have it (sandbox-source.ts). */
const NOUN: Record<Names, string> = { query: 'query', count: 'count query', histogram: 'histogram' };

/** Refuses every sandbox name in a model's gates and drift watch that the sandbox does not answer. */
export function checkSandboxNames(model: Loose, path: (string | number)[], ctx: z.core.$RefinementCtx) {
  const check = (value: unknown, names: Names, at: (string | number)[]) => {
    const known: readonly string[] = NAMES[names];
    // Left out: the sandbox's default name is filled in later.
    if (typeof value !== 'string' || value === '' || known.includes(value)) return;
    const hint = didYouMean(value, known);
    ctx.addIssue({
      code: 'custom',
      input: value,
      path: [...path, ...at],
      message: `unknown sandbox ${NOUN[names]} ${describeValue(value)}${hint ? `, did you mean "${hint}"?` : ''} (known: ${known.join(', ')})`,
    });
  };
  const gates = Array.isArray(model.gates) ? model.gates : [];
  gates.forEach((entry, i) => {
    const gate = asRecord(entry);
    const fields = typeof gate?.kind === 'string' ? FIELDS[gate.kind] : undefined;
    for (const [field, names] of Object.entries(fields ?? {}))
      check(gate?.[field], names, ['gates', i, field]);
  });
  const watch = asRecord(model['drift-watch']);
  if (watch) check(watch.buckets, 'histogram', ['drift-watch', 'buckets']);
}
