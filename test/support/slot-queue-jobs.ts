import { getOctokit } from '@actions/github';
import { environmentOf } from '../../src/github/deployments.js';
import { GitHubLedger, type GitHubLedgerOptions } from '../../src/github/github-ledger.js';
import type { FakeGitHub } from './fake-github/server.js';

// Jobs of PRs queued for a model's canary slot on the GitHub stand-in: each job is a new client
// and ledger, as each workflow run would be.

/** A ledger on the stand-in as a job has it: on commit `sha`, for `pr` and run `runId` if given. */
export const jobLedger = (github: FakeGitHub, opts: Omit<GitHubLedgerOptions, 'client' | 'repo'>) =>
  new GitHubLedger({
    client: getOctokit('ghs_job_token', { baseUrl: github.url }),
    repo: { owner: 'Codertocat', repo: 'Hello-World' },
    ...opts,
  });

/** Run `runId` started and completed, as GitHub re-runs only completed runs. */
export function completedRun(github: FakeGitHub, runId: number) {
  github.startRun(runId);
  github.endRun(runId);
}

/** `model`'s queue as the Deployments page shows it: each waiter's PR and state. */
export const waitingQueue = (github: FakeGitHub, model: string) =>
  github
    .deployments(environmentOf(model))
    .filter((d) => d.task === 'model-gate:waiting')
    .map((d) => `#${(d.payload as { pr: number }).pr} ${d.statuses.at(-1)?.state}`);
