import { formatElapsed } from '../config/duration.js';
import { histogramTotal } from '../gates/arm-histograms.js';
import { STOPPED_MIN_DUE, type StallContext, stoppedCandidate } from '../gates/stopped-candidate.js';
import type { Bucket } from '../metrics/histogram.js';
import type { Measurement, MeasurementVerdict } from '../release/types.js';
import type { Judgment } from '../stats/judgment.js';
import { type Observation, sameStep, timeMs } from '../stats/observation.js';

/** A look as the replay prints it: what the stopped-candidate check may change. */
export interface CheckedLook {
  verdict: MeasurementVerdict;
  evidence: Judgment['evidence'];
  note: string;
}

/** Where a gate's looks needed the check and had no `split` for it: said once per gate. */
export interface StoppedCheckNotRun {
  line: number;
  note: string;
}

/**
 * The log names no versions: the check's note names them as the report's words do. Its `since`
 * lets every look of the step count, as a previous look is only ever one of the same step.
 */
const context = (weight: number | undefined): StallContext => ({
  candidate: 'the candidate',
  stable: 'the baseline',
  since: Number.NEGATIVE_INFINITY,
  ...(weight === undefined ? {} : { weight }),
});

/**
 * Without `split`, the check at the largest share a split gives here (99.99%), which owes the
 * candidate requests for any growth of the stable version's count: a look it makes inconclusive
 * is one a split could make inconclusive, so only then is the missing split worth a word.
 */
const ANY_SPLIT = 99.99;

/** The configured share as the live gates hold it, percent (0.07 reads 7, not 7.000000000000001). */
const percent = (split: number) => Number((split * 100).toPrecision(12));

const count = (x: number | null) => (x === null ? undefined : x);
/** An arm's requests: its histogram's total, or its samples (one a request). */
const armTotal = (arm: { buckets: Bucket[] } | { samples: unknown[] }) =>
  'buckets' in arm ? histogramTotal(arm.buckets) : arm.samples.length;

/**
 * Each arm's request count on a line of a kind the live gates check (ratio, latency, drift);
 * none for srm and conversion, which they do not check, nor mann-whitney, whose lines carry
 * per-interval values without request counts.
 */
function requestCounts(o: Observation): Pick<Measurement, 'canaryRequests' | 'baselineRequests'> | undefined {
  const both = (canary: number | undefined, baseline: number | undefined) => ({
    ...(canary === undefined ? {} : { canaryRequests: canary }),
    ...(baseline === undefined ? {} : { baselineRequests: baseline }),
  });
  switch (o.kind) {
    case 'ratio':
      return both(count(o.canary.total), count(o.baseline.total));
    case 'latency':
    case 'drift':
      return both(armTotal(o.canary), armTotal(o.baseline));
    default:
      return undefined;
  }
}

/**
 * One gate's stopped-candidate check over its looks in file order, by the live gates' own
 * (stoppedCandidate): a look that could pass whose candidate count stood still for 2 minutes
 * while the stable version's grew enough that the line's `split` owed the candidate 20 requests
 * is inconclusive, with the live report's note. It keeps the gate's previous look in its step,
 * as the live gate keeps its last look of the phase. A line without `split` keeps its verdict;
 * the first such look the check could have turned is kept in `notRun`.
 */
export class StoppedCandidateCheck {
  private previous?: Measurement;
  private step?: string | number;
  notRun?: StoppedCheckNotRun;

  look(o: Observation, line: number, judged: CheckedLook): CheckedLook {
    const counts = requestCounts(o);
    if (!counts) return judged;
    const previous = this.previous && sameStep(this.step, o.step) ? this.previous : undefined;
    const seen: Measurement = { at: timeMs(o.time), verdict: judged.verdict, ...counts };
    const checked = stoppedCandidate(
      seen,
      previous,
      context(o.split === undefined ? ANY_SPLIT : percent(o.split)),
    );
    this.previous = checked;
    this.step = o.step;
    if (checked.verdict === judged.verdict) return judged;
    if (o.split === undefined) {
      this.notRun ??= { line, note: notRunNote(line, checked) };
      return judged;
    }
    // As the live look: its judge's strength is no evidence on counts that stood still.
    const { method, canary, baseline } = judged.evidence;
    return {
      verdict: checked.verdict,
      evidence: { method, ...(canary ? { canary } : {}), ...(baseline ? { baseline } : {}) },
      note: checked.note ?? judged.note,
    };
  }
}

/** What the check saw on a line without `split`, from the stall it measured. */
function notRunNote(line: number, m: Measurement): string {
  const stall = m.stall as NonNullable<Measurement['stall']>;
  const grew = Math.round((m.baselineRequests as number) - stall.baseline);
  return (
    `stopped-candidate check not run, for want of \`split\`: at line ${line} the candidate's request ` +
    `count had stayed at ${Math.round(m.canaryRequests as number)} for ${formatElapsed(m.at - stall.since)} ` +
    `while the baseline's grew by ${grew}, which a live gate reads as stopped (the look inconclusive) ` +
    `when its split owed the candidate ${STOPPED_MIN_DUE} of them; give the lines their \`split\` to check it`
  );
}
