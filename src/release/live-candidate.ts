import type { TrafficState } from '../core/traffic.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import type { Release } from './types.js';

/** A version beside stable that answers callers, and how much of their traffic it takes. */
export interface LiveCandidate {
  version: string;
  /** It takes all live traffic: the stable version serves none. */
  all: boolean;
  /** Replaced instances (rolling), or a share of the requests (canary, blue-green, A/B). */
  by: 'instances' | 'weight';
  /** `on every instance`, `on 2 of 4 instances`, `on 100% of live traffic`, `on 25% of live traffic`. */
  share: string;
}

/** The candidate the platform gives live traffic (a mirror's copies answer nobody), if any. */
export function liveCandidate(state: TrafficState): LiveCandidate | undefined {
  const { stable, canary, rolling } = state;
  if (rolling && rolling.replaced > 0 && rolling.version !== stable.version) {
    const all = rolling.replaced >= rolling.instances;
    const share = all ? 'on every instance' : `on ${rolling.replaced} of ${rolling.instances} instances`;
    return { version: rolling.version, all, by: 'instances', share };
  }
  if (canary && canary.weight > 0 && canary.version !== stable.version) {
    const all = canary.weight >= 100;
    const share = `on ${Number(canary.weight.toFixed(2))}% of live traffic`;
    return { version: canary.version, all, by: 'weight', share };
  }
  return undefined;
}

/**
 * Why `live` serves, in brackets: `(rolling, ready, awaiting merge of PR #7)`, `(blue-green, ready,
 * PR #7 merged: its promotion is due)`, from the release holding the model's slot (`holder`), or
 * that no release in flight put it there.
 */
export function liveCandidateWhy(live: LiveCandidate, strategy: string, holder?: Release): string {
  if (holder?.to !== live.version)
    return '(no release of it is in flight on record: changed outside model-gate?)';
  const pr = holder.pr === undefined ? undefined : `PR #${holder.pr}`;
  switch (holder.status) {
    case 'ready':
      // Merged (analyze-then-promote): it keeps its last phase's traffic until the run that made it
      // ready, or a tick after it, promotes it; no merge is awaited.
      if (holder.mergedAt !== undefined)
        return `(${strategy}, ready, ${pr ? `${pr} merged` : 'merged'}: its promotion is due)`;
      return `(${strategy}, ready, awaiting ${pr ? `merge of ${pr}` : 'the promote command'})`;
    case 'analysing': {
      const phase = holder.phases.at(-1)?.name;
      return `(${[strategy, phase ? `analysing ${phase}` : 'analysing', pr].filter(Boolean).join(', ')})`;
    }
    default:
      // An ended release whose withdrawal did not go through: a re-run or the next tick tries again.
      return `(${[strategy, holder.status, pr, 'its withdrawal pending'].filter(Boolean).join(', ')})`;
  }
}

/**
 * A version beside stable that takes all live traffic, as command status reports what serves: it,
 * not the stable version, answers callers.
 */
export interface FullTrafficCandidate {
  version: string;
  /** `on every instance` (rolling); none at 100% of the requests (a canary step, a blue-green bake). */
  where?: string;
  /** Why it serves, in brackets (liveCandidateWhy): its release's state, or that none is on record. */
  why: string;
  /** Whether a release in flight on record put it there; false: changed outside model-gate? */
  onRecord: boolean;
}

// What command status says of each model (pull-request.ts's ServingState), with the candidate
// that takes all live traffic, if any.
/** `live` when it takes all live traffic, and why, from the release holding the model's slot (`holder`). */
export function fullTrafficCandidate(
  live: LiveCandidate,
  strategy: string,
  holder?: Release,
): FullTrafficCandidate | undefined {
  if (!live.all) return undefined;
  return {
    version: live.version,
    ...(live.by === 'instances' ? { where: live.share } : {}),
    why: liveCandidateWhy(live, strategy, holder),
    onRecord: holder?.to === live.version,
  };
}

/**
 * command status for a model whose candidate takes all live traffic: `v2 takes all live traffic,
 * on every instance (rolling, ready, awaiting merge of PR #7); stable v1 takes none meanwhile, on
 * record since the promotion v0 → v1 (PR #3)`. `last`: the ledger's last promotion or rollback.
 */
export function fullTrafficStatus(
  candidate: FullTrafficCandidate,
  stable: string,
  last?: LedgerEntry,
): string {
  const pr = last?.pr === undefined ? '' : ` (PR #${last.pr})`;
  const since =
    last?.version === stable
      ? `, on record since the ${last.kind} ${last.previous} → ${last.version}${pr}`
      : '';
  const where = candidate.where === undefined ? '' : `, ${candidate.where}`;
  return `${candidate.version} takes all live traffic${where} ${candidate.why}; stable ${stable} takes none meanwhile${since}`;
}
