import type { ModelConfig } from '../config/types.js';
import { isLiveGate } from '../gates/live-gates.js';
import { type GateState, pendingGate, type Release } from './types.js';

export interface NewRelease {
  from: string;
  to: string;
  pr?: number;
  headSha?: string;
  now: number;
  /** Results of the pre-deploy (offline) gates, already checked. */
  offline?: GateState[];
}

/** A release that has not deployed anything yet; the first tick deploys the candidate. */
export function newRelease(config: ModelConfig, r: NewRelease): Release {
  const live: GateState[] = config.gates.filter(isLiveGate).map(pendingGate);
  const offline = r.offline ?? [];
  const blocked = offline.find((g) => g.verdict === 'fail');
  return {
    model: config.name,
    from: r.from,
    to: r.to,
    pr: r.pr,
    headSha: r.headSha,
    status: blocked ? 'failed' : 'analysing',
    phase: -1,
    phaseStartedAt: r.now,
    startedAt: r.now,
    updatedAt: r.now,
    gates: [...offline, ...live],
    phases: [],
    reason: blocked ? `not deployed: ${blocked.reason}` : 'deploying the candidate',
  };
}
