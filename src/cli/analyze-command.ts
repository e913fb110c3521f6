import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { configErrorMap, describeValue, formatPath, listOf, unknownKeyMessage } from '../config/messages.js';
import { InputError } from '../core/errors.js';
import { bonferroni } from '../stats/alpha.js';
import { fmt } from '../stats/counts.js';
import type { Judgment } from '../stats/judgment.js';
import {
  judgeObservation,
  OBSERVATION_KINDS,
  type Observation,
  observationSchema,
} from '../stats/observation.js';
import { usageError } from './usage.js';

const USAGE = `usage: model-gate analyze <observations.jsonl> [--json] [--alpha A]
  replays a recorded observation log (docs/observations.md) through the judges and prints
  every gate's verdict over time; alpha (default 0.05) is split across the file's gates
exit code: 0 when no look failed, 1 when one did or the file is invalid (one line per problem,
  file:line: field: message), 2 on a usage error`;

interface Look {
  time: number | string;
  step?: string | number;
  line: number;
  verdict: Judgment['verdict'];
  evidence: Judgment['evidence'];
  note: string;
}

interface GateReplay {
  gate: string;
  kind: Observation['kind'];
  /** The level each look was judged at (unless a line set its own). */
  alpha: number;
  looks: Look[];
  /** The first look that decided, if any: the gate's outcome as the release saw it. */
  decided?: { verdict: 'pass' | 'fail'; time: number | string; line: number };
}

/**
 * `model-gate analyze <observations.jsonl> [--json] [--alpha A]`: replays every look of the log
 * through the judges the gates use and prints each gate's verdicts over time. Returns 0 when
 * no look failed, 1 when one did (or the file is invalid: the error names each bad line),
 * 2 on a usage error.
 */
export async function analyzeCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  let alpha = 0.05;
  const at = rest.indexOf('--alpha');
  if (at >= 0) {
    const text = rest[at + 1];
    alpha = Number(text);
    rest.splice(at, 2);
    if (!(alpha > 0 && alpha < 1)) {
      const got = text === undefined ? 'nothing' : `"${text}"`;
      return usageError('analyze', USAGE, `--alpha needs a number in (0, 1), got ${got}`);
    }
  }
  const unknown = rest.find((a) => a.startsWith('-'));
  if (unknown) return usageError('analyze', USAGE, `unknown option ${unknown}`);
  if (rest.length !== 1) {
    const got = rest.length === 0 ? 'none' : `${rest.length}`;
    return usageError('analyze', USAGE, `expected one observation file, got ${got}`);
  }
  const file = rest[0] as string;
  const observations = parse(file, await readText(file));
  const replays = replay(observations, alpha);
  if (json) console.log(JSON.stringify({ file, alpha, gates: replays }, null, 2));
  else console.log(render(file, alpha, replays));
  return replays.some((g) => g.looks.some((l) => l.verdict === 'fail')) ? 1 : 0;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** Every non-blank, non-comment line is one observation; every fault names its line. */
function parse(file: string, text: string): { o: Observation; line: number }[] {
  const out: { o: Observation; line: number }[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${file}:${i + 1}: not JSON`);
      return;
    }
    const parsed = observationSchema.safeParse(value, { error: configErrorMap });
    if (parsed.success) out.push({ o: parsed.data, line: i + 1 });
    else {
      for (const issue of parsed.error.issues) {
        for (const { path, message } of describeIssue(issue, value)) {
          problems.push(`${file}:${i + 1}: ${path.length ? `${formatPath(path)}: ` : ''}${message}`);
        }
      }
    }
  });
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  if (out.length === 0) throw new InputError(`${file}: no observations`);
  return out;
}

/**
 * One observation issue in the words the config's errors use (src/config/messages.ts), as
 * `field: message` lines: `kind: expected one of "ratio", … got "counts"`, `split: required for
 * kind "srm"`, `canary.totl: unknown key, did you mean "total"?`.
 */
function describeIssue(
  issue: z.core.$ZodIssue,
  value: unknown,
): { path: readonly PropertyKey[]; message: string }[] {
  const line = (value ?? {}) as Record<string, unknown>;
  const kind = typeof value === 'object' && value !== null ? line.kind : undefined;
  const known = OBSERVATION_KINDS.find((k) => k === kind);
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator === 'kind') {
    const kinds = listOf(OBSERVATION_KINDS);
    return [
      {
        path: issue.path,
        message:
          kind === undefined
            ? `required, one of ${kinds}`
            : `expected one of ${kinds}, got ${describeValue(kind)}`,
      },
    ];
  }
  if (issue.code === 'unrecognized_keys') {
    const allowed = known ? keysAt(known, issue.path) : undefined;
    return issue.keys.map((key) => ({
      path: [...issue.path, key],
      message: allowed ? unknownKeyMessage(key, allowed) : 'unknown key',
    }));
  }
  if (issue.code === 'invalid_type' && issue.path.length === 1 && known) {
    const field = issue.path[0] as string;
    // time and gate: every kind needs them; the others are the kind's own.
    if (line[field] === undefined && field !== 'time' && field !== 'gate')
      return [{ path: issue.path, message: `required for kind "${known}"` }];
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const at = valueAt(value, issue.path);
    if (at === undefined) return [{ path: issue.path, message: 'required' }];
    if (typeof at === 'object' && at !== null && !Array.isArray(at)) {
      // A mapping of the wrong shape: what is wrong with it in the form it comes closest to.
      const closest = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
      return closest.flatMap((inner) =>
        describeIssue({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue, value),
      );
    }
    const forms = issue.errors.map((alt) => /^expected (.*), got /.exec(alt[0]?.message ?? '')?.[1]);
    if (forms.every(Boolean))
      return [{ path: issue.path, message: `expected ${forms.join(' or ')}, got ${describeValue(at)}` }];
  }
  if (issue.path.length === 0 && issue.code === 'invalid_type') {
    return [{ path: [], message: `expected a JSON object, got ${describeValue(value)}` }];
  }
  return [{ path: issue.path, message: issue.message }];
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const segment of path) at = (at as Record<PropertyKey, unknown> | null | undefined)?.[segment];
  return at;
}

/** The fields an observation of `kind` allows at `path` (an object of its schema). */
function keysAt(kind: Observation['kind'], path: readonly PropertyKey[]): string[] | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: walking zod's internal definitions
  let schema: any = observationSchema.options.find((o) => o.shape.kind.value === kind);
  for (const segment of path) {
    while (schema?.def?.innerType) schema = schema.def.innerType;
    schema = schema?.shape?.[segment as string];
  }
  while (schema?.def?.innerType) schema = schema.def.innerType;
  return schema?.shape ? Object.keys(schema.shape) : undefined;
}

/** Judge every look in file order; the gates share alpha (Bonferroni over the distinct gates). */
function replay(observations: { o: Observation; line: number }[], alpha: number): GateReplay[] {
  const gates = new Map<string, GateReplay>();
  for (const { o } of observations) {
    if (!gates.has(o.gate)) gates.set(o.gate, { gate: o.gate, kind: o.kind, alpha, looks: [] });
  }
  const level = bonferroni(alpha, gates.size);
  for (const { o, line } of observations) {
    const g = gates.get(o.gate) as GateReplay;
    g.alpha = level;
    const j = judgeObservation(o, level);
    g.looks.push({
      time: o.time,
      ...(o.step === undefined ? {} : { step: o.step }),
      line,
      verdict: j.verdict,
      evidence: j.evidence,
      note: j.note,
    });
    if (!g.decided && j.verdict !== 'inconclusive') g.decided = { verdict: j.verdict, time: o.time, line };
  }
  return [...gates.values()];
}

const timeText = (t: number | string) => (typeof t === 'number' ? new Date(t).toISOString() : t);

function render(file: string, alpha: number, replays: GateReplay[]): string {
  const out: string[] = [
    `${file}: ${replays.length} gate${replays.length === 1 ? '' : 's'}, alpha ${alpha} split to ${fmt(replays[0]?.alpha)} each`,
  ];
  for (const g of replays) {
    out.push('', `${g.gate} (${g.kind})`);
    for (const look of g.looks) {
      const e = look.evidence;
      const strength =
        e.eValue !== undefined ? `e=${fmt(e.eValue)}` : e.pValue !== undefined ? `p=${fmt(e.pValue)}` : '';
      const effect =
        e.effect === undefined
          ? ''
          : `effect ${fmt(e.effect)}${e.interval ? ` [${fmt(e.interval[0])}, ${fmt(e.interval[1])}]` : ''}`;
      const step = look.step === undefined ? '' : ` ${look.step}`;
      out.push(
        `  ${timeText(look.time)}${step}  ${look.verdict.padEnd(12)} ${[effect, strength].filter(Boolean).join('  ')}`,
      );
      out.push(`      ${look.note}`);
    }
  }
  out.push('', 'summary');
  for (const g of replays) {
    const d = g.decided;
    out.push(
      `  ${g.gate}: ${d ? `${d.verdict === 'fail' ? 'failed' : 'passed'} at ${timeText(d.time)} (line ${d.line})` : 'undecided'}`,
    );
  }
  return out.join('\n');
}
