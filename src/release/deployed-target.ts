import { ConfigError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import type { Target } from '../targets/target.js';
import { candidateMayBeLive, type Release } from './types.js';

// A release records the target its candidate was deployed on (Release.target). A run whose config
// names another target (the model moved: a new URL, endpoint or cluster) would withdraw, judge or
// end it there, where it never was, and record a withdrawal that did not happen while the
// candidate keeps its traffic on the old one. It acts on nothing of it instead, and fails saying so.

/** A target as a release records it: its description, secrets masked (the record goes to a PR comment). */
const recordedName = (target: Pick<Target, 'description'>): string => redact(target.description);

/** `release` with the target its candidate is to be deployed on, where it is not deployed yet. */
export function deployingOn(release: Release, target: Pick<Target, 'description'>): Release {
  if (release.status !== 'analysing' || release.phase >= 0 || release.target !== undefined) return release;
  return { ...release, target: recordedName(target) };
}

/**
 * Throws a ConfigError when `release`'s candidate may still get live traffic (analysing, its
 * withdrawal pending, its change to idle pending) on a target other than `target`, this run's,
 * naming the model, both targets and how to withdraw it. A release recorded before targets were
 * (none recorded) passes, as before.
 */
export function checkSameTarget(release: Release, target: Pick<Target, 'description'>): void {
  const deployed = release.target;
  if (deployed === undefined || !(candidateMayBeLive(release) || release.idlePending)) return;
  const named = recordedName(target);
  if (deployed === named) return;
  const candidate = `${release.pr === undefined ? 'the' : `PR #${release.pr}'s`} candidate ${release.to}`;
  throw new ConfigError([
    `${release.model}: ${candidate} was deployed on ${deployed}, but this run's config names ${named} as its target: model-gate leaves it alone, and ${release.to} may still get live traffic there. Withdraw it under a config that names ${deployed}: revert the target change, or run command: abort with such a config; then change the target`,
  ]);
}

/**
 * Throws a ConfigError when `release`'s candidate was deployed (and analysed) on a target other
 * than `target`, this run's, whatever its state: promoting it there would serve callers a version
 * never analysed on that platform, and record a promotion of what its own target never served. The
 * message names the model, both targets and how to promote it; the caller records nothing.
 * A release recorded before targets were (none recorded) passes, as before.
 */
export function checkPromotionTarget(release: Release, target: Pick<Target, 'description'>): void {
  const deployed = release.target;
  const named = recordedName(target);
  if (deployed === undefined || deployed === named) return;
  const candidate = `${release.pr === undefined ? 'the' : `PR #${release.pr}'s`} candidate ${release.to}`;
  throw new ConfigError([
    `${release.model}: ${candidate} was analysed on ${deployed}, but this run's config names ${named} as its target: model-gate does not promote it there, and its record is left as it is. Promote it under a config that names ${deployed}: revert the target change and run this again (or run command: promote with such a config); then change the target`,
  ]);
}
