import type { ConversionGateConfig } from '../config/types.js';
import type { Measurement } from '../release/types.js';
import { judgeConversion, thousands } from '../stats/conversion.js';
import { conversionUnit } from './conversion-unit.js';
import { observeLook } from './observed-look.js';
import {
  armNames,
  evidenceOf,
  type StatisticalContext,
  slotWindow,
  verdictOf,
  waitForRequests,
} from './ratio-gate.js';
import { unansweredLook } from './unanswered-look.js';

interface ArmCounts {
  conversions: number;
  total: number;
}

/**
 * An arm's conversion rate; undefined without exposures, or with more conversions than exposures:
 * no valid data, so an A/B on such counts ends at the missing-data deadline rather than running to
 * its cap on a rate of 1.5 (as ratio-gate.ts's overCounted does for events).
 */
const rateOf = (a: ArmCounts): number | undefined =>
  a.total > 0 && a.conversions <= a.total ? a.conversions / a.total : undefined;

/** The words a look's note starts with when an arm counted more conversions than exposures. */
export const OVER_COUNTED = 'more conversions than exposures';

/** What a look says of an arm with more conversions than exposures: the conversions query counts something else. */
function overCounted(a: ArmCounts, arm: 'candidate' | 'stable arm', query: string): string | undefined {
  if (!(a.conversions > a.total)) return undefined;
  return `${OVER_COUNTED} on the ${arm}: check the conversions query "${query}" (${thousands(a.conversions)} conversions of ${thousands(a.total)} exposures)`;
}

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
    observeLook(ctx, gate, {
      gate: gate.name,
      kind: 'conversion',
      canary,
      baseline,
      direction: gate.direction,
      margin: gate.margin,
      minDetectableEffect: gate.mde,
      power: gate.power,
      alpha: gate.alpha,
    });
    const j = judgeConversion({
      canary,
      baseline,
      direction: gate.direction,
      margin: gate.margin,
      alpha: gate.alpha,
      mde: gate.mde,
      power: gate.power,
      names: armNames(ctx),
      unit: conversionUnit(gate),
    });
    const inconsistent = [
      overCounted(canary, 'candidate', gate.conversions),
      overCounted(baseline, 'stable arm', gate.conversions),
    ].filter((n) => n !== undefined);
    return {
      at,
      verdict: verdictOf(j),
      canary: rateOf(canary),
      baseline: rateOf(baseline),
      canaryRequests: Number.isFinite(canary.total) ? canary.total : waited,
      ...(Number.isFinite(baseline.total) ? { baselineRequests: baseline.total } : {}),
      // The planned size travels as data: an A/B's phase ends when its candidate arm reaches it.
      evidence: {
        ...evidenceOf(j),
        ...(j.evidence.sampleSize === undefined ? {} : { sampleSize: j.evidence.sampleSize }),
      },
      note: inconsistent.length > 0 ? inconsistent.join('; ') : j.note,
    };
  } catch (err) {
    return unansweredLook(at, err);
  }
}
