import { VersionError } from '../core/errors.js';
import { headName } from '../version/head-name.js';
import { describeGitHubError, type GitHubClient, isNotFound } from './client.js';
import type { Repo } from './repo-files.js';

/**
 * Where `head` branched from `base` (git's merge base), as GitHub's three-dot compare answers it
 * (`merge_base_commit`): a PR's `base.sha` is the base branch's tip, which may have moved on since
 * the PR branched (actions/runner#1689). One page of one commit: only the merge base is read.
 * Asked once per pair for as long as the returned function lives (one run).
 */
export function mergeBaseOf(
  client: GitHubClient,
  repo: Repo,
): (base: string, head: string) => Promise<string> {
  const asked = new Map<string, Promise<string>>();
  return (base, head) => {
    const key = `${base}...${head}`;
    let found = asked.get(key);
    if (!found) {
      found = ask(client, repo, base, head);
      asked.set(key, found);
      found.catch(() => asked.delete(key));
    }
    return found;
  };
}

async function ask(client: GitHubClient, repo: Repo, base: string, head: string): Promise<string> {
  try {
    const { data } = await client.rest.repos.compareCommitsWithBasehead({
      ...repo,
      basehead: `${base}...${head}`,
      per_page: 1,
    });
    return data.merge_base_commit.sha;
  } catch (error) {
    // GitHub down or refusing (5xx, rate limits, permissions): said as any other request's failure.
    if (!isNotFound(error) && (error as { status?: number }).status !== 422) throw error;
    // No fallback to the tip: a base branch that moved on would pass for the PR's change, and an
    // old version for the candidate. Nothing is deployed; a re-run asks again.
    throw new VersionError(
      `cannot tell which commit the PR's head ${headName(head)} branched from on its base ${headName(base)}: comparing them failed (${describeGitHubError(error)}); model-gate measures what a PR changes from that commit, not from the base branch's tip, so it stopped before deploying anything: re-run the job (a head that is gone needs a new push)`,
    );
  }
}
