import { formatDuration } from '../config/duration.js';
import type { ModelConfig } from '../config/types.js';
import { conversionUnit } from '../gates/conversion-unit.js';
import { sampleShortText } from '../release/planned-sample.js';
import type { GateState, Release } from '../release/types.js';
import { withoutNeedsMoreData } from '../stats/conversion.js';
import { phasesOf } from '../strategies/strategy.js';

// The progress the judge's note ends with (stats/conversion.ts): `; 2,400 of 7,294 planned candidate
// exposures (33%), where it has 80% power`, or users where the gate counts them (conversionUnit).
// At the cap the row says the sample it had itself.
const PROGRESS =
  /; [\d,]+ of [\d,]+ planned candidate (?:exposures|users) \([^)]*\), where it has \d+% power$/;

/**
 * A conversion gate of an A/B that its step-duration cap (or a longer hold) ended before the
 * gate's planned sample (release/tick.ts settle, cappedReason): undecided there, and nothing more
 * will come, so not "needs more data". What the cap was and the sample it had against the planned
 * one, then what the arms showed. Undefined for any other gate, or an A/B that failed otherwise (a
 * failed gate, no data), or a release whose model the config no longer names.
 */
export function endedAtCapNote(
  g: GateState,
  release: Release,
  model: ModelConfig | undefined,
): string | undefined {
  const m = g.last;
  if (g.kind !== 'conversion' || g.verdict !== 'pending' || release.status !== 'failed') return undefined;
  if (model?.strategy.type !== 'ab' || release.gates.some((x) => x.verdict === 'fail')) return undefined;
  const had = sampleShortText(m, conversionUnit(model.gates.find((c) => c.name === g.name)));
  const ended = release.phases.at(-1)?.endedAt;
  if (!m?.note || !had || ended === undefined) return undefined;
  const capMs = Math.max(model.strategy.stepDurationMs, phasesOf(model.strategy)[release.phase]?.holdMs ?? 0);
  if (ended - release.phaseStartedAt < capMs) return undefined;
  const arms = withoutNeedsMoreData(m.note).replace(PROGRESS, '');
  return `ended at the ${formatDuration(capMs)} step-duration cap with ${had}: ${arms}`;
}
