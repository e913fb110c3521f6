import type { ObservationLine } from '../stats/observation.js';
import type { StatisticalContext } from './ratio-gate.js';

type LineOwnFields<T> = T extends unknown
  ? Omit<T, 'time' | 'step' | 'split' | 'failureLimit' | 'inconclusiveLimit' | 'release'>
  : never;

/**
 * A look's own fields: its gate, kind, arms and tolerances (the step's and the limits are added
 * here, the release's by its log's writer, observation-log.ts).
 */
export type LookFields = LineOwnFields<ObservationLine>;

/**
 * What of a gate's config its release folds each look by (ratio-gate.ts foldStatistical): the
 * looks of a step it tolerates. A gate without `failureLimit` (srm) tolerates no failed look.
 */
export interface LookLimits {
  failureLimit?: number;
  inconclusiveLimit?: number;
}

/** The configured candidate share a line gives as `split`: none for a shadow or all traffic, as docs/observations.md says. */
export function splitOf(ctx: StatisticalContext): number | undefined {
  const w = ctx.weight;
  return ctx.candidateSlot !== 'shadow' && w !== undefined && w > 0 && w < 100 ? w / 100 : undefined;
}

/**
 * Hands what a judge judged to the release's observation log, where it keeps one (ctx.observe): one
 * line in the format `model-gate analyze` reads, stamped with the look's time, step and split and the
 * gate's `limits`. Called only where the gate's judge ran on these inputs, so the replay judges what
 * the release judged.
 * Never throws: the log is no part of the decision.
 */
export function observeLook(ctx: StatisticalContext, limits: LookLimits, fields: LookFields): void {
  if (!ctx.observe) return;
  const split = splitOf(ctx);
  const { gate, kind, ...rest } = fields;
  const { failureLimit, inconclusiveLimit } = limits;
  try {
    ctx.observe({
      time: new Date(ctx.now).toISOString(),
      gate,
      kind,
      ...(ctx.step === undefined ? {} : { step: ctx.step }),
      ...(split === undefined ? {} : { split }),
      // The replay folds the looks of a step by these, so it fails the gate at the release's look.
      ...(failureLimit === undefined ? {} : { failureLimit }),
      ...(inconclusiveLimit === undefined ? {} : { inconclusiveLimit }),
      ...rest,
    } as ObservationLine);
  } catch {
    // The writer warns of its own failures (observation-log.ts); a look goes on without its line.
  }
}
