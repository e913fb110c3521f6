import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.js';
import { bonferroni } from '../stats/alpha.js';
import { fmt } from '../stats/counts.js';
import type { Judgment } from '../stats/judgment.js';
import { judgeObservation, type Observation, parseObservation } from '../stats/observation.js';
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
    const parsed = parseObservation(value);
    if (parsed.success) out.push({ o: parsed.data, line: i + 1 });
    else for (const problem of parsed.problems) problems.push(`${file}:${i + 1}: ${problem}`);
  });
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  if (out.length === 0) throw new InputError(`${file}: no observations`);
  return out;
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
