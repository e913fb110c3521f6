import type { ConversionGateConfig } from '../config/types.js';
import type { Measurement } from '../release/types.js';
import { judgeConversion } from '../stats/conversion.js';
import { evidenceOf, type StatisticalContext, slotWindow, verdictOf, waitForRequests } from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

/**
 * One look at a conversion gate (A/B): conversions per exposure on each arm over the phase
 * so far, judged by the always-valid mixture SPRT, with the lift, its interval, the sample size a
 * fixed test would need and the one this test is planned to (`sampleSize`), both in candidate
 * exposures (the count `exposures` gives).
 */
export async function measureConversion(
  gate: ConversionGateConfig,
  ctx: StatisticalContext,
): Promise<Measurement> {
  const at = ctx.now;
  const count = ctx.metrics.count;
  try {
    if (!count)
      return {
        at,
        verdict: 'error',
        note: 'the metrics source has no counts (conversion gates need count queries)',
      };
    const waited = await waitForRequests(ctx);
    if (typeof waited !== 'number') return waited;
    const arm = async (slot: 'stable' | 'canary') => {
      const w = slotWindow(ctx, slot);
      const conversions = (await count.call(ctx.metrics, gate.conversions, w)) ?? Number.NaN;
      const total = (await count.call(ctx.metrics, gate.exposures, w)) ?? Number.NaN;
      return { conversions, total };
    };
    const canary = await arm('canary');
    const baseline = await arm('stable');
    const j = judgeConversion({
      canary,
      baseline,
      direction: gate.direction,
      margin: gate.margin,
      alpha: gate.alpha,
      mde: gate.mde,
      power: gate.power,
    });
    const rate = (a: { conversions: number; total: number }) =>
      a.total > 0 ? a.conversions / a.total : undefined;
    return {
      at,
      verdict: verdictOf(j),
      canary: rate(canary),
      baseline: rate(baseline),
      canaryRequests: Number.isFinite(canary.total) ? canary.total : waited,
      ...(Number.isFinite(baseline.total) ? { baselineRequests: baseline.total } : {}),
      // The planned size travels as data: an A/B's phase ends when its candidate arm reaches it.
      evidence: {
        ...evidenceOf(j),
        ...(j.evidence.sampleSize === undefined ? {} : { sampleSize: j.evidence.sampleSize }),
      },
      note: j.note,
    };
  } catch (err) {
    return unansweredLook(at, err);
  }
}
