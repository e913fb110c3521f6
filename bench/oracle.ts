/**
 * A reference, not a contender: Wald's SPRT told the candidate's true effect. Among tests with
 * the same error rates it has the smallest expected sample size (Wald & Wolfowitz 1948), so a
 * judge that must also work for effects nobody told it cannot expect to stop sooner. It asks
 * what ours asks, of the same events: which arm each event came from. Null: the candidate's
 * rate is at most (1 + MAX_INCREASE) × the baseline's (conversion: at least the baseline's);
 * alternative: the true ratio. It looks as often as ours and fails the candidate when the
 * likelihood ratio reaches 1/alpha (Ville's inequality, as for ours).
 */
import { fresh, MAX_INCREASE, type Monitor, type Outcome } from './methods.js';
import type { GateName } from './model.js';
import { eventsOf, type Traffic } from './traffic.js';

/** Log-likelihood ratio per candidate event and per baseline event. */
interface Step {
  candidate: number;
  baseline: number;
}

/** P(an event is the candidate's) when its rate is `ratio` × the baseline's at this share. */
const eventShare = (share: number, ratio: number) => (share * ratio) / (share * ratio + 1 - share);

export class Oracle implements Monitor {
  readonly outcomes = new Map<string, Outcome>();
  done = false;
  private readonly steps = new Map<GateName, Step>();
  private readonly threshold: number;

  constructor(gates: readonly GateName[], traffic: Traffic, alpha: number) {
    this.threshold = Math.log(1 / alpha);
    for (const g of gates) {
      const nullRatio = g === 'conversion' ? 1 : 1 + MAX_INCREASE;
      const p0 = eventShare(traffic.share, nullRatio);
      const p1 = eventShare(traffic.share, traffic.trueRatio(g));
      // No regression beyond the null: nothing for the oracle to detect.
      if (g === 'conversion' ? p1 >= p0 : p1 <= p0) continue;
      this.steps.set(g, { candidate: Math.log(p1 / p0), baseline: Math.log((1 - p1) / (1 - p0)) });
      this.outcomes.set(g, fresh());
    }
    this.done = this.steps.size === 0;
  }

  look(t: Traffic): void {
    let open = 0;
    for (const [g, step] of this.steps) {
      const o = this.outcomes.get(g) as Outcome;
      if (o.failTick >= 0) continue;
      const c = t.totals.canary;
      const llr = eventsOf(g, c) * step.candidate + eventsOf(g, t.totals.baseline) * step.baseline;
      if (llr >= this.threshold) {
        o.failTick = t.tick;
        o.failRequests = c.requests;
      } else open++;
    }
    this.done = open === 0;
  }
}
