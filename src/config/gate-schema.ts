import { z } from 'zod';
import {
  always,
  asRecord,
  dottedKey,
  finite,
  limit,
  percent,
  repoPath,
  strict,
  unknownVariant,
} from './fields.js';
import { describeValue, listOf } from './messages.js';
import { SANDBOX_QUERIES } from './types.js';

// ── gates ───────────────────────────────────────────────────────────────────────────────

const GATE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const gateName = z
  .string()
  .regex(GATE_NAME, {
    error: (issue) =>
      `expected a gate name (letters, digits, '.', '_' and '-', 1-63 characters, starting with a letter or digit), got ${describeValue(issue.input)}`,
  })
  .describe('Unique within the model; shown in reports.');

/** `min <= max`, and at least one of `bounds` present. */
function checkBounds(kind: string, bounds: readonly string[]) {
  return (value: unknown, ctx: z.core.$RefinementCtx) => {
    const gate = asRecord(value);
    if (!gate) return;
    if (bounds.every((b) => gate[b] === undefined)) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} gate needs at least one of ${listOf(bounds).replaceAll('"', '')}`,
      });
    }
    if (finite(gate.min) && finite(gate.max) && gate.min > gate.max) {
      ctx.addIssue({
        code: 'custom',
        input: gate.min,
        path: ['min'],
        message: `expected at most max (${gate.max}), got ${gate.min}`,
      });
    }
  };
}

const thresholdGate = strict({
  name: gateName,
  kind: z.literal('threshold').describe('A scalar per slot against bounds.'),
  query: z
    .string()
    .min(1)
    .describe(`The metric; for the sandbox source one of: ${SANDBOX_QUERIES.join(', ')}.`),
  max: z.number().optional().describe("Upper bound on the candidate's value."),
  min: z.number().optional().describe("Lower bound on the candidate's value."),
  'max-increase': percent(
    'Largest tolerated increase over the stable (baseline) value, e.g. "10%".',
  ).optional(),
  'max-decrease': percent(
    'Largest tolerated decrease below the stable (baseline) value, e.g. "5%" (at most 100%).',
    1,
  ).optional(),
  'failure-limit': limit('Failed measurements tolerated before the gate fails.').default(0),
  'inconclusive-limit': limit(
    'Inconclusive measurements (no or NaN data) tolerated before the gate fails; default: until the step deadline.',
  ).optional(),
  'consecutive-error-limit': limit('Consecutive query errors tolerated before the gate fails.').default(4),
})
  .superRefine(checkBounds('threshold', ['max', 'min', 'max-increase', 'max-decrease']), always)
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    query: g.query,
    ...(g.max === undefined ? {} : { max: g.max }),
    ...(g.min === undefined ? {} : { min: g.min }),
    ...(g['max-increase'] === undefined ? {} : { maxIncrease: g['max-increase'] }),
    ...(g['max-decrease'] === undefined ? {} : { maxDecrease: g['max-decrease'] }),
    failureLimit: g['failure-limit'],
    ...(g['inconclusive-limit'] === undefined ? {} : { inconclusiveLimit: g['inconclusive-limit'] }),
    consecutiveErrorLimit: g['consecutive-error-limit'],
  }))
  .describe('Live metric per slot against absolute bounds and/or relative to the stable baseline.');

const offlineGate = strict({
  name: gateName,
  kind: z.literal('offline').describe("A value from a file the PR's own evaluation produced."),
  file: repoPath('YAML or JSON file in the PR, relative to the repository root.'),
  key: dottedKey('Dotted key of the number in that file, e.g. "metrics.auc".'),
  min: z.number().optional().describe('Lowest acceptable value.'),
  max: z.number().optional().describe('Highest acceptable value.'),
})
  .superRefine(checkBounds('offline', ['min', 'max']), always)
  .transform((g) => ({
    kind: g.kind,
    name: g.name,
    file: g.file,
    key: g.key,
    ...(g.min === undefined ? {} : { min: g.min }),
    ...(g.max === undefined ? {} : { max: g.max }),
  }))
  .describe('Checked before anything is deployed: a number from a file in the PR against bounds.');

export const gatesSchema = z
  .array(z.discriminatedUnion('kind', [thresholdGate, offlineGate], { error: unknownVariant('gate kind') }))
  .superRefine((gates, ctx) => {
    const seen = new Map<string, number>();
    gates.forEach((gate, i) => {
      const name = asRecord(gate)?.name;
      if (typeof name !== 'string') return;
      const first = seen.get(name);
      if (first === undefined) seen.set(name, i);
      else {
        ctx.addIssue({
          code: 'custom',
          input: name,
          path: [i, 'name'],
          message: `duplicate gate name ${describeValue(name)} (also gates[${first}])`,
        });
      }
    });
  }, always)
  .describe('The checks that decide each step; `[]` for none.');
