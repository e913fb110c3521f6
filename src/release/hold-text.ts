import { formatDuration } from '../config/duration.js';
import { utcMinute } from '../report/format.js';
import type { Phase } from '../strategies/strategy.js';

/**
 * `holds until 2026-01-04 00:00 UTC (3d)`: when a phase with a hold (a shadow run, a blue-green
 * bake) ends, said while its gates are still waiting. Only when the hold is longer than the gates'
 * wait (step-duration): the phase then ends at the hold's end whatever the gates do (tick.ts: its
 * deadline is the longer of the two). Undefined otherwise, or once the hold is over.
 */
export function holdText(phase: Phase | undefined, stepDurationMs: number, since: number, now: number) {
  const hold = phase?.holdMs ?? 0;
  if (!(hold > stepDurationMs) || now - since >= hold) return undefined;
  return `holds until ${utcMinute(since + hold)} (${formatDuration(hold)})`;
}
