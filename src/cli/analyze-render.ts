import { counted } from '../core/text.js';
import type { MeasurementVerdict } from '../release/types.js';
import { eValueText, fmt } from '../stats/counts.js';
import type { Judgment } from '../stats/judgment.js';
import type { Observation } from '../stats/observation.js';
import type { AlphaLevels } from './analyze-alpha.js';
import { type LineOutput, LookSpool } from './analyze-spool.js';
import type { StoppedCheckNotRun } from './analyze-stopped.js';

/** One judged look, as `--json` prints it. */
export interface Look {
  time: number | string;
  step?: string | number;
  line: number;
  /** The level this look was judged at: the gate's share of the split, or its line's own `alpha`. */
  alpha?: number;
  verdict: MeasurementVerdict;
  evidence: Judgment['evidence'];
  note: string;
}

/** A gate's replay once every look is judged; its looks themselves are in the spool. */
export interface GateReplay {
  gate: string;
  kind: Observation['kind'];
  /**
   * The level the gate's looks were judged at: its lines' own `alpha` (a release's split), else its
   * share of the file's alpha; none when its looks were judged at different levels (each look records
   * its own), nor for `mann-whitney`, which judges at its confidence, outside the alpha split.
   */
  alpha?: number;
  /**
   * The gate's outcome as the release saw it: the look that failed it, as the release folds its looks
   * (the first failed one, or the one past its step's `failureLimit` or `inconclusiveLimit`; a failure
   * is final, as in the live watch, whatever passed before), else its first passing look in the step of its last look
   * (a pass holds for its step only: a look with another `step` starts the gate over). `deadline`:
   * decided by its step's deadline, on the look its release marked so.
   */
  decided?: { verdict: 'pass' | 'fail'; time: number | string; line: number; deadline?: true };
  /** Without a decision, where the gate stood at its last look: `waiting` or `inconclusive`. */
  undecided?: { verdict: MeasurementVerdict; time: number | string; line: number };
  /** Its last look's note: what an undecided gate's summary line quotes. */
  lastNote?: string;
  /**
   * The first look whose candidate count stood still in a way the live gates' stopped-candidate
   * check could have made inconclusive, on a line without the `split` it needs: the replay kept
   * the judge's verdict there, and says so once.
   */
  stoppedCheckNotRun?: StoppedCheckNotRun;
}

/** A gate that spends alpha: all but `mann-whitney` (Kayenta's confidence), as a release splits it. */
export const spendsAlpha = (kind: Observation['kind']) => kind !== 'mann-whitney';

export const timeText = (t: number | string) => (typeof t === 'number' ? new Date(t).toISOString() : t);

/** JSON has no infinity nor NaN: an e-value of ∞ is written "Infinity" rather than null. */
const jsonNumbers = (_key: string, value: unknown) =>
  typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;

/** Where a look sits in the `--json` document: an element of `gates[i].looks`, 8 spaces in. */
const LOOK_INDENT = ' '.repeat(8);

/** The spool for the looks as text (two lines each) or as `--json` elements. */
export const lookSpool = (json: boolean, limit?: number) => new LookSpool(json ? ',\n' : '\n', limit);

/** A look as printed: its line of verdict and evidence, then its note; or its `--json` element. */
export function lookText(look: Look, json: boolean): string {
  if (json) return LOOK_INDENT + JSON.stringify(look, jsonNumbers, 2).replaceAll('\n', `\n${LOOK_INDENT}`);
  const e = look.evidence;
  const strength =
    e.eValue !== undefined ? eText(e.eValue) : e.pValue !== undefined ? `p=${fmt(e.pValue)}` : '';
  const effect =
    e.effect === undefined
      ? ''
      : `effect ${fmt(e.effect)}${e.interval ? ` [${fmt(e.interval[0])}, ${fmt(e.interval[1])}]` : ''}`;
  const step = look.step === undefined ? '' : ` ${look.step}`;
  return `  ${timeText(look.time)}${step}  ${look.verdict.padEnd(12)} ${[effect, strength].filter(Boolean).join('  ')}\n      ${look.note}`;
}

/** `e=45`, `e=2.49e+10`; an overwhelming one `e>10¹²` (eValueText), not `e=∞`. */
function eText(eValue: number): string {
  const text = eValueText(eValue);
  return text.startsWith('>') ? `e${text}` : `e=${text}`;
}

/**
 * The whole report, the same text (or JSON document) as printed from memory, written piece by
 * piece: each gate's looks come from the spool.
 */
export async function writeReport(
  out: LineOutput,
  spool: LookSpool,
  report: { file: string; levels: AlphaLevels; replays: GateReplay[]; json: boolean },
): Promise<void> {
  const { file, levels, replays, json } = report;
  if (json) {
    // The document without its looks, each gate's `looks` a placeholder line the spool replaces.
    const gates = replays.map(({ lastNote: _, ...g }, i) => {
      const { gate, kind, ...rest } = g;
      return { gate, kind, looks: [`@looks ${i}`], ...rest };
    });
    const pieces = JSON.stringify({ file, alpha: levels.alpha, gates }, jsonNumbers, 2).split(
      new RegExp(`^${LOOK_INDENT}"@looks \\d+"$`, 'm'),
    );
    for (const [i, piece] of pieces.entries()) {
      out.write(piece);
      if (i < replays.length) for await (const looks of spool.read(i)) out.write(looks);
    }
    return;
  }
  out.write(header(file, levels, replays));
  for (const [i, g] of replays.entries()) {
    out.write(`\n\n${g.gate} (${g.kind})\n`);
    for await (const looks of spool.read(i)) out.write(looks);
  }
  out.write('\n\nsummary');
  for (const g of replays) {
    out.write(`\n  ${g.gate}: ${outcomeText(g)}`);
    if (g.stoppedCheckNotRun) out.write(`\n    ${g.stoppedCheckNotRun.note}`);
  }
}

/**
 * A gate's line of the summary: its decision, else where its last look left it and why (waiting:
 * what waiting means; inconclusive: the judge's own note, which says what it lacked).
 */
function outcomeText(g: GateReplay): string {
  const d = g.decided;
  if (d) {
    const verdict = d.verdict === 'fail' ? 'fail' : 'pass';
    if (d.deadline) return `${verdict} at the step's deadline, ${timeText(d.time)} (line ${d.line})`;
    return `${verdict === 'fail' ? 'failed' : 'passed'} at ${timeText(d.time)} (line ${d.line})`;
  }
  const u = g.undecided;
  if (!u) return 'undecided';
  const why =
    u.verdict === 'waiting'
      ? 'the judge has the data, the evidence is not strong either way yet'
      : g.lastNote;
  return `undecided, ${u.verdict} at ${timeText(u.time)} (line ${u.line})${why ? `: ${why}` : ''}`;
}

/** The first line: the file, its gates and how alpha was spent (AlphaLevels.text). */
function header(file: string, levels: AlphaLevels, replays: GateReplay[]): string {
  const spending = replays.filter((g) => spendsAlpha(g.kind)).length;
  return `${file}: ${counted(replays.length, 'gate')}, ${levels.text(replays.length, spending)}`;
}
