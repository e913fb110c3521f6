import { isGitHubError } from '../core/github-error.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Release } from './types.js';

/**
 * The release of `model` whose candidate `version` the target still gives traffic with no release
 * in flight holding it, where the ledger can say (command status names its PR and end; GitHub's
 * keeps ended releases in the PRs' comments, found by the canary claim that names the PR). Best
 * effort: GitHub refusing the read leaves the candidate named without its release, as before.
 */
export async function endedReleaseOf(
  ledger: Ledger,
  model: string,
  version: string,
): Promise<Release | undefined> {
  return ledger.releaseOfCandidate?.(model, version).catch((err: unknown) => {
    if (isGitHubError(err)) return undefined;
    throw err;
  });
}
