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
 * Why `live` serves, in brackets: `(rolling, ready, awaiting merge of PR #7)`, from the release
 * holding the model's slot (`holder`), or that no release in flight put it there.
 */
export function liveCandidateWhy(live: LiveCandidate, strategy: string, holder?: Release): string {
  if (holder?.to !== live.version)
    return '(no release of it is in flight on record: changed outside model-gate?)';
  const pr = holder.pr === undefined ? undefined : `PR #${holder.pr}`;
  switch (holder.status) {
    case 'ready':
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
 * command status for a model whose candidate takes all live traffic: `v2 takes all live traffic,
 * on every instance (rolling, ready, awaiting merge of PR #7); stable v1 takes none meanwhile, on
 * record since the promotion v0 → v1 (PR #3)`. `last`: the ledger's last promotion or rollback.
 */
export function fullTrafficStatus(
  live: LiveCandidate,
  strategy: string,
  stable: string,
  holder?: Release,
  last?: LedgerEntry,
): string {
  const pr = last?.pr === undefined ? '' : ` (PR #${last.pr})`;
  const since =
    last?.version === stable
      ? `, on record since the ${last.kind} ${last.previous} → ${last.version}${pr}`
      : '';
  const why = liveCandidateWhy(live, strategy, holder);
  const where = live.by === 'instances' ? `, ${live.share}` : '';
  return `${live.version} takes all live traffic${where} ${why}; stable ${stable} takes none meanwhile${since}`;
}
