import type { Measurement, MeasurementVerdict } from '../release/types.js';
import { groupedCounts } from './format.js';

/**
 * A judge's note as a gate's cell says it to a reader who is no statistician. The note is the
 * judges' own (stats/counts.ts countNote, stats/conversion.ts), kept as it is in the state and
 * the headline; here its test-speak is said plainly, every figure kept:
 *   `e-value 200 ≥ 40` → `strong evidence of a regression (e-value 200; 40 needed)`
 *   `(lift +10.7%; 95% always-valid interval +0.2% to +22.4%, each bound 97.5%)`
 *     → `(relative lift +10.7%, +3.0 points; 95% interval +0.2% to +22.4%)`
 * Text that matches neither is returned as it is.
 */
export function plainNote(note: string, m: Measurement | undefined): string {
  return groupedCounts(withPlainLift(withPlainEvidence(note, m?.verdict), m));
}

/**
 * A release's reason or a phase's note (`errors: 3% on v2 …; e-value 9.78e+5 ≥ 40`), said in the
 * top sentence and the phase history, as plainly as the table says it: what the e-value means,
 * without its figures (the gate's row keeps them); a gate named as its quantile (`p95: p95 …`)
 * named once. `verdict`: whether what was decided was a pass (a regression ruled out) or a failure.
 */
export function plainReason(text: string, verdict: 'pass' | 'fail' = 'fail'): string {
  const plain = text.replace(E_VALUE_AGAINST_THRESHOLD, (_, _e: string, sign: string) => {
    if (sign === '<') return 'not enough evidence either way';
    return verdict === 'pass' ? 'strong evidence of that' : 'strong evidence of a regression';
  });
  return groupedCounts(plain.replace(NAMED_TWICE, '$1$2 '));
}

/** `p95: p95 100–250 ms`: a gate's name, then its note that begins with the same word. */
const NAMED_TWICE = /(^|[;(:] ?)([\w.-]+): \2 /g;

/** countNote's `e-value X ≥ N` (decided) or `e-value X < N` (not yet): what it means, then the figures. */
const E_VALUE_AGAINST_THRESHOLD = /e-value (>10¹²|[\d.e+-]+|–) ([≥<]) ([\d.e+]+)/g;

function withPlainEvidence(note: string, verdict: MeasurementVerdict | undefined): string {
  return note.replace(E_VALUE_AGAINST_THRESHOLD, (_, e: string, sign: string, needed: string) => {
    const figures = `(e-value ${e}; ${needed} needed)`;
    if (sign === '<') return `not enough evidence either way ${figures}`;
    return verdict === 'pass'
      ? `strong evidence of that ${figures}`
      : `strong evidence of a regression ${figures}`;
  });
}

/**
 * A conversion note's `(lift +10.7%; 95% always-valid interval +0.2% to +22.4%, each bound 97.5%)`:
 * a relative lift, which beside two rates reads as points unless said, with the points it is
 * (from the look's rates), and its interval at its level, without what only a statistician reads
 * (always-valid: it holds at every look; each bound one-sided at alpha).
 */
const LIFT =
  /\(lift ([+\-−]?[\d.]+%|–)(?:; ([\d.]+%) always-valid interval (\S+) to (\S+?)(?:, each bound [\d.]+%)?)?\)/;

function withPlainLift(note: string, m: Measurement | undefined): string {
  return note.replace(LIFT, (_, lift: string, level?: string, lo?: string, hi?: string) => {
    const points =
      m?.canary !== undefined && m.baseline !== undefined ? `, ${signedPoints(m.canary - m.baseline)}` : '';
    const [low, high] = m?.evidence?.interval ?? [];
    const range =
      lo !== undefined && hi !== undefined
        ? `; ${level} interval ${apartFromZero(lo, low)} to ${apartFromZero(hi, high)}`
        : '';
    return `(relative lift ${lift}${points}${range})`;
  });
}

/**
 * An interval's bound that rounds to `+0.0%` though it is not 0, in as many more digits as tell it
 * from 0: `+0.0% to +21.0%: the interval lies above 0` read as if 0 were in it (`+0.04%`).
 */
function apartFromZero(shown: string, value: number | undefined): string {
  if (value === undefined || value === 0 || !Number.isFinite(value) || !/^[+\-−]?0\.0+%$/.test(shown))
    return shown;
  for (let digits = 2; digits <= 8; digits++) {
    const text = Math.abs(value * 100).toFixed(digits);
    if (Number(text) !== 0) return `${value > 0 ? '+' : '-'}${text}%`;
  }
  return shown;
}

/**
 * A difference of two rates in percentage points: `+3.0 points`, `-0.5 points`. Rounded first: one
 * that rounds to zero reads `+0.0 points`, as an equal one does, not `-0.0 points`.
 */
const signedPoints = (d: number) => {
  const points = Math.abs(d * 100).toFixed(1);
  return `${d < 0 && Number(points) !== 0 ? '-' : '+'}${points} points`;
};
