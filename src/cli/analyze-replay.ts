import { readFile } from 'node:fs/promises';
import { quote } from '../config/messages.js';
import { InputError } from '../core/errors.js';
import { counted } from '../core/text.js';
import { driftVerdictOf } from '../gates/drift-gate.js';
import { verdictOf } from '../gates/ratio-gate.js';
import type { MeasurementVerdict } from '../release/types.js';
import { bonferroni } from '../stats/alpha.js';
import { fmt } from '../stats/counts.js';
import type { Judgment } from '../stats/judgment.js';
import { judgeObservation, type Observation, parseObservation, timeMs } from '../stats/observation.js';

interface Look {
  time: number | string;
  step?: string | number;
  line: number;
  /** The level this look was judged at: the gate's share of the split, or its line's own `alpha`. */
  alpha?: number;
  verdict: MeasurementVerdict;
  evidence: Judgment['evidence'];
  note: string;
}

interface GateReplay {
  gate: string;
  kind: Observation['kind'];
  /**
   * The gate's share of the file's alpha, which its looks are judged at unless a line sets its own
   * (each look records the level it was judged at); none for `mann-whitney`, which judges at its
   * confidence, outside the alpha split.
   */
  alpha?: number;
  looks: Look[];
  /**
   * The gate's outcome as the release saw it: its first failing look (a failure is final, as in the
   * live watch, whatever passed before), else its first passing look in the step of its last look
   * (a pass holds for its step only: a look with another `step` starts the gate over).
   */
  decided?: { verdict: 'pass' | 'fail'; time: number | string; line: number };
  /** Without a decision, where the gate stood at its last look: `waiting` or `inconclusive`. */
  undecided?: { verdict: MeasurementVerdict; time: number | string; line: number };
}

/**
 * A look's verdict as the live gate records it, by the gates' own rules (verdictOf, the drift
 * gate's): undecided with evidence computed is `waiting`, undecided without usable data
 * (missing, empty or NaN) `inconclusive`, which a step's deadline fails.
 */
const lookVerdict = (kind: Observation['kind'], j: Judgment): MeasurementVerdict =>
  kind === 'drift' ? driftVerdictOf(j) : verdictOf(j);

/** Where the replayed gates ended: one failed, every one passed, or none failed and one is undecided. */
export type LogOutcome = 'failed' | 'passed' | 'undecided';

/**
 * The work of `model-gate analyze` once its command line is valid: every look of the log `file`
 * judged at `alpha` (split across its gates) and printed, as text or JSON; an unreadable or
 * invalid file is an InputError naming each problem. Its own module, so that a usage error or
 * `--help` returns before the judges load.
 */
export async function analyzeLog(file: string, alpha: number, json: boolean): Promise<LogOutcome> {
  const observations = parseLog(file, await readText(file));
  const { level, replays } = replay(observations, alpha);
  if (json) console.log(JSON.stringify({ file, alpha, gates: replays }, jsonNumbers, 2));
  else console.log(render(file, alpha, level, replays));
  if (replays.some((g) => g.decided?.verdict === 'fail')) return 'failed';
  return replays.every((g) => g.decided?.verdict === 'pass') ? 'passed' : 'undecided';
}

/** JSON has no infinity nor NaN: an e-value of ∞ is written "Infinity" rather than null. */
const jsonNumbers = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;

/** The log's text, or what is wrong with the path in words (not an errno) and what to pass. */
async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = 'pass the path of an observation log (docs/observations.md)';
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new InputError(`${file}: file not found; ${what}`);
    if (code === 'EISDIR') throw new InputError(`${file}: is a directory, expected a file; ${what}`);
    if (code === 'EACCES' || code === 'EPERM')
      throw new InputError(`${file}: permission denied; make it readable by this user`);
    throw new InputError(`${file}: cannot read it: ${(err as Error).message}`);
  }
}

/**
 * Every non-blank, non-comment line is one observation; every fault names its line. A gate keeps
 * the kind of its first line, and its looks go forward in time (a look at or before the one
 * before it is a log spliced or written twice, which would replay a decision the release never saw).
 */
function parseLog(file: string, text: string): { o: Observation; line: number }[] {
  const out: { o: Observation; line: number }[] = [];
  const problems: string[] = [];
  const firstLook = new Map<string, { kind: Observation['kind']; line: number }>();
  const lastLook = new Map<string, { time: number | string; at: number; line: number }>();
  const gateProblem = (o: Observation, line: number): string | undefined => {
    const first = firstLook.get(o.gate);
    if (first && first.kind !== o.kind)
      return `kind: gate ${quote(o.gate)} is "${first.kind}" on line ${first.line}`;
    const last = lastLook.get(o.gate);
    const at = timeMs(o.time);
    if (last && at <= last.at) {
      return `time: ${timeText(o.time)} is not after the previous look at gate ${quote(o.gate)} (line ${last.line}, ${timeText(last.time)}); write a gate's looks in time order, one per time`;
    }
    if (!first) firstLook.set(o.gate, { kind: o.kind, line });
    lastLook.set(o.gate, { time: o.time, at, line });
    return undefined;
  };
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
    if (!parsed.success) {
      for (const problem of parsed.problems) problems.push(`${file}:${i + 1}: ${problem}`);
      return;
    }
    const problem = gateProblem(parsed.data, i + 1);
    if (problem) problems.push(`${file}:${i + 1}: ${problem}`);
    else out.push({ o: parsed.data, line: i + 1 });
  });
  if (problems.length > 0) throw new InputError(problems.join('\n'));
  if (out.length === 0) throw new InputError(`${file}: no observations`);
  return out;
}

/** A gate that spends alpha: all but `mann-whitney` (Kayenta's confidence), as a release splits it. */
const spendsAlpha = (kind: Observation['kind']) => kind !== 'mann-whitney';

/**
 * Judge every look in file order; the gates that spend alpha share it (Bonferroni over the
 * distinct gates), at `level` each.
 */
function replay(observations: { o: Observation; line: number }[], alpha: number) {
  const gates = new Map<string, GateReplay>();
  for (const { o } of observations) {
    if (!gates.has(o.gate)) gates.set(o.gate, { gate: o.gate, kind: o.kind, looks: [] });
  }
  const level = bonferroni(alpha, [...gates.values()].filter((g) => spendsAlpha(g.kind)).length);
  for (const { o, line } of observations) {
    const g = gates.get(o.gate) as GateReplay;
    const spends = spendsAlpha(g.kind);
    if (spends) g.alpha = level;
    const j = judgeObservation(o, level);
    const v = lookVerdict(o.kind, j);
    // A pass holds for its step only: a look in another step judges the gate anew.
    const passed =
      g.decided?.verdict === 'pass' ? g.looks.find((l) => l.line === g.decided?.line) : undefined;
    if (passed && !sameStep(passed.step, o.step)) delete g.decided;
    g.looks.push({
      time: o.time,
      ...(o.step === undefined ? {} : { step: o.step }),
      line,
      ...(spends ? { alpha: o.alpha ?? level } : {}),
      verdict: v,
      evidence: j.evidence,
      note: j.note,
    });
    if ((v === 'pass' && !g.decided) || (v === 'fail' && g.decided?.verdict !== 'fail'))
      g.decided = { verdict: v, time: o.time, line };
  }
  for (const g of gates.values()) {
    const last = g.looks.at(-1);
    if (!g.decided && last) g.undecided = { verdict: last.verdict, time: last.time, line: last.line };
  }
  return { level, replays: [...gates.values()] };
}

/** Two looks are in the same step when their `step` labels read the same (`10` and `"10"`), or neither has one. */
const sameStep = (a: string | number | undefined, b: string | number | undefined) =>
  a === undefined || b === undefined ? a === b : String(a) === String(b);

const timeText = (t: number | string) => (typeof t === 'number' ? new Date(t).toISOString() : t);

/**
 * A gate's line of the summary: its decision, else where its last look left it and why (waiting:
 * what waiting means; inconclusive: the judge's own note, which says what it lacked).
 */
function outcomeText(g: GateReplay): string {
  const d = g.decided;
  if (d) return `${d.verdict === 'fail' ? 'failed' : 'passed'} at ${timeText(d.time)} (line ${d.line})`;
  const u = g.undecided;
  if (!u) return 'undecided';
  const why =
    u.verdict === 'waiting'
      ? 'the judge has the data, the evidence is not strong either way yet'
      : g.looks.find((l) => l.line === u.line)?.note;
  return `undecided, ${u.verdict} at ${timeText(u.time)} (line ${u.line})${why ? `: ${why}` : ''}`;
}

/**
 * How alpha was split: `2 gates, alpha 0.05 split to 0.025 each` (one gate: `1 gate, alpha 0.05`);
 * beside mann-whitney gates, which judge at their confidence, among the others only
 * (`… split to 0.025 each of the 2 that spend it`).
 */
function header(file: string, alpha: number, level: number, replays: GateReplay[]): string {
  const gates = `${file}: ${counted(replays.length, 'gate')}`;
  const spending = replays.filter((g) => spendsAlpha(g.kind)).length;
  if (spending === replays.length)
    return spending === 1
      ? `${gates}, alpha ${alpha}`
      : `${gates}, alpha ${alpha} split to ${fmt(level)} each`;
  const kayenta = 'mann-whitney judges at its confidence, outside the alpha split';
  if (spending === 0) return `${gates}, ${kayenta}`;
  const split =
    spending === 1
      ? `alpha ${alpha} on the 1 that spends it`
      : `alpha ${alpha} split to ${fmt(level)} each of the ${spending} that spend it`;
  return `${gates}, ${split} (${kayenta})`;
}

function render(file: string, alpha: number, level: number, replays: GateReplay[]): string {
  const out: string[] = [header(file, alpha, level, replays)];
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
  for (const g of replays) out.push(`  ${g.gate}: ${outcomeText(g)}`);
  return out.join('\n');
}
