import type { ModelConfig } from '../config/types.js';
import type { TrafficState } from '../core/traffic.js';
import { TargetStateError } from '../targets/errors.js';
import type { Target } from '../targets/target.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { liveCandidate, liveCandidateWhy } from './live-candidate.js';
import type { Release } from './types.js';

// model-gate drives one stable version and one candidate: a release's traffic changes give every
// other version 0%. A version that takes live traffic beside stable, neither the PR's candidate nor
// put there by a release on record (a side experiment set up by hand), would lose it for good at
// the first step, unsaid. So a PR's run refuses it before any release is recorded or traffic moves,
// as a read with three live versions is refused (split.ts): the user takes that traffic off first.

/** What each platform calls the object serving one version, for naming it (Target.platformName). */
const OBJECT: Partial<Record<ModelConfig['target']['type'], string>> = {
  sagemaker: 'variant',
  azureml: 'deployment',
  vertex: 'deployed model',
  seldon: 'Model',
};

/**
 * Throws (before any release of `to` is recorded) when `state`, the target's first read, shows a
 * live version beside stable that is not `to` and that none of the releases `onRecord` (the one
 * holding the slot, the model's last: a withdrawal still pending) put there.
 */
export function refuseUnknownLiveVersion(
  state: TrafficState,
  change: { to: string; headSha: string },
  model: ModelConfig,
  target: Target,
  onRecord: (Release | undefined)[],
): void {
  const live = liveCandidate(state);
  if (!live || live.version === change.to) return;
  if (onRecord.some((r) => r?.to === live.version)) return;
  const name = target.platformName?.(live.version);
  const word = OBJECT[model.target.type];
  const object = name && word ? ` (${word} ${name})` : '';
  const again = change.headSha === WORKING_TREE ? 'run again' : 'run again (push a commit or re-run the job)';
  throw new TargetStateError(
    `${target.description} serves ${live.version}${object} ${live.share} ${liveCandidateWhy(live, model.strategy.type)} beside the stable ${state.stable.version}; model-gate drives one stable version and one candidate, so releasing ${change.to} would take that traffic away: ${change.to} was not deployed and nothing was changed; take its traffic off first, then ${again}`,
  );
}
