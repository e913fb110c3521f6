import type { Config, ModelConfig } from '../config/types.js';
import { phasesOf } from '../strategies/strategy.js';
import { phaseCount } from './plan-text.js';
import type { PullRequestEvent, RunResult } from './pull-request.js';
import type { Release } from './types.js';

/**
 * A dry run's result: what the run would do to each release, as a line, none of it done. The
 * releases themselves would read as if it had been ("deploying the candidate", "ready").
 */
export function dryRunResult(config: Config, event: PullRequestEvent, result: RunResult): RunResult {
  const would = result.releases.flatMap((r) => {
    const why = wouldDo(config.models[r.model], event, r);
    return why ? [{ model: r.model, why }] : [];
  });
  return { ...result, releases: [], skipped: [...would, ...result.skipped] };
}

/** Undefined for a release the run would leave as it is (a line in `skipped` says why). */
function wouldDo(model: ModelConfig | undefined, event: PullRequestEvent, r: Release): string | undefined {
  const live = r.status === 'analysing' || r.status === 'ready';
  if (event.action !== 'closed') {
    if (r.phase >= 0) return r.status === 'analysing' ? `would resume ${r.to}: ${r.reason}` : undefined;
    if (r.status === 'failed') return `would not deploy ${r.to}: ${r.reason?.replace(/^not deployed: /, '')}`;
    const phases = model ? ` and run its ${phaseCount(model, phasesOf(model.strategy).length)}` : '';
    return `would deploy ${r.to} (replacing ${r.from})${phases}`;
  }
  if (!event.merged) return live ? `would withdraw ${r.to} (the PR was closed without merging)` : undefined;
  if (r.status === 'ready') return `would promote ${r.to} (replacing ${r.from})`;
  if (r.status !== 'analysing') return undefined;
  return model?.onMerge === 'analyze-then-promote'
    ? `would analyse ${r.to} to the end, then promote it if it passes (on-merge: analyze-then-promote)`
    : `would withdraw ${r.to} unpromoted: its analysis has not passed (on-merge: require-pass)`;
}
