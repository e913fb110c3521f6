import { quote } from '../config/messages.js';
import { InputError } from '../core/errors.js';
import { counted } from '../core/text.js';
import { driftVerdictOf } from '../gates/drift-gate.js';
import { foldStatistical, verdictOf } from '../gates/ratio-gate.js';
import { toleratedText } from '../gates/threshold-gate.js';
import { passesAtDeadline } from '../release/deadline-pass.js';
import { type GateState, type Measurement, type MeasurementVerdict, pendingGate } from '../release/types.js';
import { bonferroni } from '../stats/alpha.js';
import type { Judgment } from '../stats/judgment.js';
import {
  judgeObservation,
  type Observation,
  parseObservation,
  sameStep,
  timeMs,
} from '../stats/observation.js';
import { AlphaLevels, DEFAULT_ALPHA } from './analyze-alpha.js';
import { JsonDocumentCheck } from './analyze-document.js';
import { ReportOutputError } from './analyze-errors.js';
import { type LogLines, openLog } from './analyze-lines.js';
import { LogProblems, noObservations } from './analyze-problems.js';
import { OneRelease } from './analyze-release.js';
import {
  type GateReplay,
  lookSpool,
  lookText,
  spendsAlpha,
  timeText,
  writeReport,
} from './analyze-render.js';
import { LineOutput, type LookSpool, OutputFailed } from './analyze-spool.js';
import { StoppedCandidateCheck } from './analyze-stopped.js';

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
 * judged at its line's own `alpha`, else at `alpha` (`--alpha`, undefined when not given: 0.05)
 * split across its gates, and printed, as text or JSON; an unreadable or
 * invalid file is an InputError naming each problem. Its own module, so that a usage error or
 * `--help` returns before the judges load.
 *
 * The log is streamed, never held whole: a first pass checks every line and finds the gates
 * (the alpha split needs their number before any look is judged), a second judges each look
 * and spools its printed form (`spoolBytes` in memory, then temporary files); what stays in
 * memory is each gate's standing, not its looks.
 */
export async function analyzeLog(
  file: string,
  alpha: number | undefined,
  json: boolean,
  spoolBytes?: number,
): Promise<LogOutcome> {
  const log = await openLog(file);
  const spool = lookSpool(json, spoolBytes);
  let out: LineOutput | undefined;
  let outcome: LogOutcome;
  try {
    // A refused log that is one JSON document (pretty-printed, a report) is told so in one line.
    const document = new JsonDocumentCheck();
    const { kinds, looks } = await checkLog(file, document.watching(log)).catch((err: unknown) => {
      throw document.insteadOf(file, err);
    });
    const spending = [...kinds.values()].filter(spendsAlpha).length;
    const split = alpha ?? DEFAULT_ALPHA;
    const levels = new AlphaLevels(split, bonferroni(split, spending), alpha !== undefined);
    const replays = await replay(file, log, { kinds, looks }, levels, spool, json);
    outcome = outcomeOf(replays);
    out = new LineOutput();
    await writeReport(out, spool, { file, levels, replays, json }).catch((err) => {
      if (!(err instanceof OutputFailed)) throw err;
    });
    const unused = levels.unusedWarning();
    if (unused) console.error(`warning: ${file}: ${unused}`);
  } finally {
    // Its temporary files go first, whatever ended it: they may hold a copy of production data.
    try {
      spool.close();
    } finally {
      await log.close();
    }
  }
  const failed = await out.end();
  // The reader went away (`| head`): what it read was all it wanted, and the exit code still says the outcome.
  if (failed && failed.code !== 'EPIPE')
    throw new ReportOutputError(
      `cannot write the report to its output: ${failed.message}; check where stdout goes (a full disk?) and run it again`,
    );
  return outcome;
}

/** A gate failed; else every gate passed, or one is undecided. */
function outcomeOf(replays: GateReplay[]): LogOutcome {
  if (replays.some((g) => g.decided?.verdict === 'fail')) return 'failed';
  return replays.every((g) => g.decided?.verdict === 'pass') ? 'passed' : 'undecided';
}

/** The observations of the log, each with its line number (blank and `#` lines skipped). */
async function* observations(log: LogLines) {
  let number = 0;
  for await (const batch of log.lines()) {
    for (const raw of batch) {
      number++;
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      yield { line, number };
    }
  }
}

const NOT_JSON = Symbol('not JSON');
/** The line's JSON value, or NOT_JSON. */
function json(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return NOT_JSON;
  }
}

/** A line's observation, or its problems as `field: message` (just the message for a line that is not JSON). */
function parseLine(
  line: string,
): { success: true; data: Observation } | { success: false; problems: string[] } {
  const value = json(line);
  return value === NOT_JSON ? { success: false, problems: ['not JSON'] } : parseObservation(value);
}

/**
 * The first pass: every line checked, every fault named by its line, nothing judged. A gate
 * keeps the kind of its first line, and its looks go forward in time (a look at or before the
 * one before it is a log spliced or written twice, which would replay a decision the release
 * never saw), and a log is one release's. Returns each gate's kind, in the order the gates first
 * appear, and the number of looks.
 */
async function checkLog(file: string, log: LogLines): Promise<CheckedLog> {
  const problems = new LogProblems(file);
  const releases = new OneRelease();
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
  let looks = 0;
  for await (const { line, number } of observations(log)) {
    const value = json(line);
    if (value === NOT_JSON) {
      problems.notJson(number, line);
      continue;
    }
    const parsed = parseObservation(value);
    if (!parsed.success) {
      problems.parsed(number, parsed.problems);
      continue;
    }
    // Another release's look is no look of this file's gates: not checked against them.
    const otherRelease = releases.otherRelease(parsed.data.release, number);
    if (otherRelease) {
      problems.parsed(number, otherRelease);
      continue;
    }
    const problem = gateProblem(parsed.data, number);
    problems.parsed(number, problem ? [problem] : []);
    if (!problem) looks++;
  }
  const refused = problems.error();
  if (refused) throw refused;
  if (looks === 0) throw noObservations(file);
  return { kinds: new Map([...firstLook].map(([gate, { kind }]) => [gate, kind])), looks };
}

interface CheckedLog {
  kinds: Map<string, Observation['kind']>;
  looks: number;
}

/**
 * The second pass: judge every look in file order, the gates that spend alpha at `level` each
 * (Bonferroni over the distinct gates), each look's printed form into the spool. A gate keeps
 * its standing only: its decision, the step of a pass, its last look (and the one its
 * stopped-candidate check compares the next with).
 */
async function replay(
  file: string,
  log: LogLines,
  { kinds, looks }: CheckedLog,
  levels: AlphaLevels,
  spool: LookSpool,
  json: boolean,
): Promise<GateReplay[]> {
  const gates = new Map<
    string,
    {
      index: number;
      g: GateReplay;
      passStep?: string | number;
      stopped: StoppedCandidateCheck;
      /** The gate's standing in the step of its last look, as the release folds it (foldStatistical). */
      standing?: { step?: string | number; state: GateState };
    }
  >();
  for (const [gate, kind] of kinds)
    gates.set(gate, { index: gates.size, g: { gate, kind }, stopped: new StoppedCandidateCheck() });
  const changed = () =>
    new InputError(`${file}: changed while it was read; analyze a copy that is not being written`);
  let judged = 0;
  for await (const { line: text, number: line } of observations(log)) {
    judged++;
    const parsed = parseLine(text);
    const state = parsed.success ? gates.get(parsed.data.gate) : undefined;
    if (!parsed.success || !state || state.g.kind !== parsed.data.kind) throw changed();
    const o = parsed.data;
    const { g } = state;
    const judgedAt = spendsAlpha(g.kind) ? levels.look(state.index, o.alpha) : undefined;
    if (judgedAt !== undefined) g.alpha ??= judgedAt;
    const j = judgeObservation(o, levels.level);
    // The live gates' stopped-candidate check on the line's split: counts that stood still are no evidence.
    const look = state.stopped.look(o, line, {
      verdict: lookVerdict(o.kind, j),
      evidence: j.evidence,
      note: j.note,
    });
    const v = look.verdict;
    // A pass holds for its step only: a look in another step judges the gate anew.
    if (g.decided?.verdict === 'pass' && !sameStep(state.passStep, o.step)) delete g.decided;
    const decidedBefore = g.decided?.verdict === 'fail';
    const looked = { verdict: v, note: look.note, evidence: look.evidence };
    const folded = atStepDeadline(o, foldLook(state.standing, o, looked));
    // After the gate failed the release had ended: its later looks are printed as judged.
    const note = decidedBefore ? look.note : folded.note;
    state.standing = { ...(o.step === undefined ? {} : { step: o.step }), state: folded.state };
    spool.add(
      state.index,
      lookText(
        {
          time: o.time,
          ...(o.step === undefined ? {} : { step: o.step }),
          line,
          ...(judgedAt === undefined ? {} : { alpha: judgedAt }),
          verdict: v,
          evidence: look.evidence,
          note,
        },
        json,
      ),
    );
    const failed = folded.state.verdict === 'fail';
    const passed = v === 'pass' || folded.state.verdict === 'pass';
    if ((passed && !g.decided) || (failed && g.decided?.verdict !== 'fail')) {
      const byDeadline = folded.byDeadline ? { deadline: true as const } : {};
      g.decided = { verdict: failed ? 'fail' : 'pass', time: o.time, line, ...byDeadline };
      state.passStep = o.step;
    }
    g.undecided = { verdict: v, time: o.time, line };
    g.lastNote = note;
  }
  if (judged !== looks) throw changed();
  for (const { g, stopped, index } of gates.values()) {
    // Only a gate without a decision says where its last look left it.
    if (g.decided) delete g.undecided;
    if (levels.ofGate(index) === undefined) delete g.alpha;
    if (stopped.notRun) g.stoppedCheckNotRun = stopped.notRun;
  }
  return [...gates.values()].map(({ g }) => g);
}

/**
 * A look folded into its gate's standing by the release's own rule (foldStatistical: a failed or
 * inconclusive look fails the gate once a step's count of them exceeds the line's `failureLimit`
 * or `inconclusiveLimit`), the counts starting again with each step as the release's do. No query
 * errors are written, so the consecutive-error-limit is never reached here.
 */
function foldLook(
  standing: { step?: string | number; state: GateState } | undefined,
  o: Observation,
  look: Pick<Measurement, 'verdict' | 'evidence'> & { note: string },
): { state: GateState; note: string } {
  const before =
    standing && sameStep(standing.step, o.step)
      ? standing.state
      : // A mann-whitney line is a ratio or latency gate's: the fold reads the kind in no rule.
        pendingGate({ name: o.gate, kind: o.kind === 'mann-whitney' ? 'ratio' : o.kind });
  const limits = {
    name: o.gate,
    kind: o.kind,
    ...(o.failureLimit === undefined ? {} : { failureLimit: o.failureLimit }),
    ...(o.inconclusiveLimit === undefined ? {} : { inconclusiveLimit: o.inconclusiveLimit }),
    consecutiveErrorLimit: Number.POSITIVE_INFINITY,
  };
  const state = foldStatistical(before, limits, { at: timeMs(o.time), ...look });
  return { state, note: withLimitNote(look, state, o) };
}

/**
 * A look its release marked as the one its step's deadline judged (`deadline`), decided as the
 * release decided it (passesAtDeadline): a gate that saw the data without a regression passes (not
 * a conversion gate, which must decide), any other fails, as at a deadline under must-have-data.
 */
function atStepDeadline(
  o: Observation,
  folded: { state: GateState; note: string },
): { state: GateState; note: string; byDeadline?: true } {
  if (!o.deadline || folded.state.verdict !== 'pending') return folded;
  const passes = passesAtDeadline(folded.state, folded.state.last);
  const note = passes
    ? `${folded.note}; the step's deadline: pass, no regression found by then`
    : `${folded.note}; the step's deadline: fail, no conclusive evidence by then`;
  return { state: { ...folded.state, verdict: passes ? 'pass' : 'fail' }, note, byDeadline: true };
}

/**
 * A look's note, and where it left the gate against a limit the line gives: a failed look tolerated
 * (`1 look showing a regression, within failure-limit 2`), or the look that went over one.
 */
function withLimitNote(
  look: { verdict: MeasurementVerdict; note: string },
  state: GateState,
  o: Observation,
): string {
  if (look.verdict === 'fail' && o.failureLimit) {
    const standing =
      state.verdict === 'fail'
        ? `${counted(state.failures, 'look')} showing a regression, over failure-limit ${o.failureLimit}`
        : toleratedText(state, o.failureLimit);
    return `${look.note}; ${standing}`;
  }
  if (look.verdict === 'inconclusive' && state.verdict === 'fail')
    return `${look.note}; ${counted(state.inconclusives, 'inconclusive look')} in this step, over inconclusive-limit ${o.inconclusiveLimit}`;
  return look.note;
}
