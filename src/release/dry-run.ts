import type { Config, ModelConfig } from '../config/types.js';
import { phasesOf } from '../strategies/strategy.js';
import { phaseCount } from './plan-text.js';
import type { PullRequestEvent, RunResult } from './pull-request.js';
import { inFlight, type Release } from './types.js';

/**
 * A dry run's result: what the run would do to each release, as a line, none of it done. The
 * releases themselves would read as if it had been ("deploying the candidate", "ready").
 */
export function dryRunResult(config: Config, event: PullRequestEvent, result: RunResult): RunResult {
  const kept: Release[] = [];
  const would: RunResult['skipped'] = [];
  for (const r of result.releases) {
    const why = wouldDo(config.models[r.model], event, r);
    if (why) would.push({ model: r.model, why, kind: 'dry-run' });
    // As it stands, and truthful so: ended before, or stopped by a pre-deploy gate that did run.
    else kept.push(r);
  }
  return { ...result, releases: kept, skipped: [...would, ...result.skipped] };
}

/** Undefined for a release the run would leave as it is. */
function wouldDo(model: ModelConfig | undefined, event: PullRequestEvent, r: Release): string | undefined {
  const live = inFlight(r);
  if (event.action !== 'closed') {
    if (r.status !== 'analysing') return undefined;
    if (r.phase >= 0) return `would resume ${r.to}: ${r.reason}`;
    const phases = model ? ` and run its ${phaseCount(model, phasesOf(model.strategy).length)}` : '';
    return `would deploy ${r.to} (replacing ${r.from})${phases}`;
  }
  if (!event.merged) return live ? wouldWithdraw(r, 'the PR was closed without merging') : undefined;
  if (r.status === 'ready') return wouldPromote(r);
  if (r.status !== 'analysing') return undefined;
  return model?.onMerge === 'analyze-then-promote'
    ? `would analyse ${r.to} to the end, then promote it if it passes (on-merge: analyze-then-promote)`
    : `would withdraw ${r.to} unpromoted: its analysis has not passed (on-merge: require-pass)`;
}

/** The models a run released, or a dry run would have: the ones whose config warnings matter. */
export const modelsReleased = (result: RunResult): string[] => [
  ...result.releases.map((r) => r.model),
  ...result.skipped.filter((note) => note.kind === 'dry-run').map((note) => note.model),
];

/** A candidate as a dry run names it beside another change: `v4 (PR #3)`. */
export const candidateOf = (r: Release) => `${r.to}${r.pr === undefined ? '' : ` (PR #${r.pr})`}`;

/** What a dry run says of a candidate it would promote (a merge, or the promote command). */
export const wouldPromote = (r: Release) => `would promote ${r.to} (replacing ${r.from})`;

/** What a dry run says of a candidate it would take out of service, and why. */
export const wouldWithdraw = (r: Release, why: string) => `would withdraw ${r.to} (${why})`;

/** What a dry-run schedule tick says of a release it would drive one pass. */
export const wouldDrive = (r: Release) =>
  r.withdrawPending
    ? `would try again to withdraw ${candidateOf(r)}`
    : `would advance ${candidateOf(r)} by one pass (${r.reason ?? 'analysing'})`;
