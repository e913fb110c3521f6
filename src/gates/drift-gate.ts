import type { DriftGateConfig } from '../config/types.js';
import type { Measurement } from '../release/types.js';
import { judgeDrift } from '../stats/drift.js';
import type { Judgment } from '../stats/judgment.js';
import { armHistograms, endedLook } from './arm-histograms.js';
import { observeLook } from './observed-look.js';
import { evidenceOf, type StatisticalContext } from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

/**
 * One look at a drift gate: the candidate's prediction histogram over the phase so far against
 * the baseline's, by the time-uniform KS judge. Per slot the report shows the median prediction.
 */
export async function measureDrift(gate: DriftGateConfig, ctx: StatisticalContext): Promise<Measurement> {
  const at = ctx.now;
  try {
    const arms = await armHistograms(gate.buckets, ctx, {
      kind: 'drift',
      histogram: 'prediction histogram',
      shown: 0.5,
    });
    if (endedLook(arms)) return arms;
    const { canary, baseline, seen } = arms;
    observeLook(ctx, gate, {
      gate: gate.name,
      kind: 'drift',
      canary: { buckets: canary },
      baseline: { buckets: baseline },
      maxDistance: gate.maxDistance,
      alpha: gate.alpha,
    });
    const j = judgeDrift({
      canary: { buckets: canary },
      baseline: { buckets: baseline },
      alpha: gate.alpha,
      maxDistance: gate.maxDistance,
    });
    return { ...seen, verdict: driftVerdictOf(j), note: j.note, evidence: evidenceOf(j) };
  } catch (err) {
    return unansweredLook(at, err);
  }
}

/**
 * A drift judgment as a look's verdict (the KS judge gives bounds, no e-value): undecided with
 * bounds computed is waiting for evidence; without them (no or NaN data) it is missing data, which
 * inconclusive-limit counts and a deadline never passes.
 */
export function driftVerdictOf(j: Judgment): Measurement['verdict'] {
  if (j.verdict !== 'inconclusive') return j.verdict;
  return j.evidence.interval ? 'waiting' : 'inconclusive';
}
