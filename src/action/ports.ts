import { isAbsolute, join } from 'node:path';
import * as core from '@actions/core';
import type { Config, ModelConfig } from '../config/types.js';
import { systemClock } from '../core/clock.js';
import { InputError } from '../core/errors.js';
import { describeGitHubError, type GitHubClient, gitHubClient, testWaitScale } from '../github/client.js';
import { CommentPublisher } from '../github/comment-publisher.js';
import { setNoLongerChangedStatus } from '../github/commit-status.js';
import { GitHubLedger } from '../github/github-ledger.js';
import { mergeBaseOf } from '../github/merge-base.js';
import { pullRequestNow, pullRequestState } from '../github/pull-request-state.js';
import { changedFiles, contentsReader } from '../github/repo-files.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import { byPullRequest, observationLog } from '../release/observation-log.js';
import type { Ports } from '../release/ports.js';
import type { PullRequestReader } from '../release/stale-event.js';
import type { Release } from '../release/types.js';
import { renderMarkdown } from '../report/markdown.js';
import { cachedReader } from '../version/cached-reader.js';
import { gitFileReader } from '../version/changed-models.js';
import type { ActionEvent } from './event.js';
import type { Inputs } from './inputs.js';
import { asLogText } from './log-text.js';
import { observationsFolder } from './observations-folder.js';
import { PhaseLog } from './phase-log.js';

/**
 * How long a rollback's one try at reading the ledger before its traffic change may take: GitHub
 * ends a request of its own after 10 s, so a read still unanswered then is a stalled connection.
 */
const QUICK_READ_TIMEOUT_MS = 10_000;

export interface ActionPorts {
  /** With the PR as GitHub has it now (pullRequestNow) on GitHub: a PR run checks its event is not stale. */
  ports: Ports & PullRequestReader;
  /** Groups the step log by phase. */
  phases: PhaseLog;
  /** Present when the ledger is GitHub: keeps each PR's comment up to date. */
  publisher?: CommentPublisher;
  ledger?: GitHubLedger;
  runUrl?: string;
  /** The folder of this job's observation logs (output `observations-path`), written as gates are looked at. */
  observations: string;
}

/**
 * The outside world for one job: GitHub (Deployments, the PR comment, commit statuses,
 * the contents API) unless the `ledger` input names a local file.
 */
export function actionPorts(
  config: Config,
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  event: ActionEvent,
): ActionPorts {
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const phases = new PhaseLog();
  const log = { info: (message: string) => core.info(asLogText(message)), warn: core.warning };
  const observations = observationsFolder(env);
  const base = {
    clock: systemClock,
    log,
    targetFor: (model: ModelConfig) => targetFor(model, log),
    metricsFor: (model: ModelConfig) => metricsFor(model, log),
    onProgress: (releases: Release[]) => phases.progress(releases),
    onPhaseEntered: (releases: Release[]) => phases.progress(releases),
    observe: observationLog(observations, byPullRequest, log),
  };
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  if (inputs.ledger !== 'github') {
    const path = isAbsolute(inputs.ledger) ? inputs.ledger : join(workspace, inputs.ledger);
    const git = gitFileReader(workspace);
    const reader = { ...cachedReader(git), mergeBase: git.mergeBase };
    return { ports: { ...base, ledger: fileLedger(path), reader }, phases, runUrl, observations };
  }
  const [owner, repoName] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (!owner || !repoName)
    throw new InputError(
      'GITHUB_REPOSITORY is not set: set the ledger input to a file path to run outside GitHub',
    );
  if (!inputs.githubToken)
    throw new InputError(
      'input github-token is empty: pass the job token (github.token) or a token with pull-requests, deployments and statuses write',
    );
  const repo = { owner, repo: repoName };
  const reach = { token: inputs.githubToken, baseUrl: env.GITHUB_API_URL ?? 'https://api.github.com' };
  const client = gitHubClient({ ...reach, warn: core.warning });
  const pr = event.kind === 'pull_request' ? event.pr : undefined;
  const ledgerOn = (client: GitHubClient) =>
    new GitHubLedger({
      client,
      repo,
      sha: pr?.headSha ?? env.GITHUB_SHA ?? '',
      pr: pr?.number,
      runUrl,
      runId: Number(env.GITHUB_RUN_ID ?? 0) || undefined,
      // A matrix job (one `model`) shares its PR's comment with the other models' jobs.
      soleWriter: pr !== undefined && inputs.model === undefined,
      models: Object.keys(config.models),
    });
  const ledger = ledgerOn(client);
  // Only read, by a rollback before its change: its writes go through `ledger`, which reads anew.
  const quickLedger = ledgerOn(
    gitHubClient({ ...reach, warn: core.warning, retries: 0, timeoutMs: QUICK_READ_TIMEOUT_MS }),
  );
  const stamp = { runId: Number(env.GITHUB_RUN_ID ?? 0), attempt: Number(env.GITHUB_RUN_ATTEMPT ?? 1) };
  const publisher = new CommentPublisher(
    ledger,
    (result, compact) =>
      renderMarkdown(config, result, { now: systemClock.now(), runUrl, compact, prComment: true }),
    stamp,
    systemClock,
    // The settle wait scales with the client's test-only pacing (testWaitScale): 5 s for real.
    {
      warn: core.warning,
      settleMs: 5_000 * testWaitScale(env),
      runUrl,
      // Stored with the lines it writes: a later run keeps a sibling's line only while it holds.
      ...(pr ? { ownHead: { pr: pr.number, sha: pr.headSha } } : {}),
    },
  );
  const ports: Ports & PullRequestReader = {
    ...base,
    ledger,
    quickLedger,
    // One contents request per (commit, path) for the whole job: the plan and each later look share it.
    // A PR's changes are read from where its head branched (a three-dot compare), not the base's tip.
    reader: { ...cachedReader(contentsReader(client, repo)), mergeBase: mergeBaseOf(client, repo) },
    touchedFiles: (number) => changedFiles(client, repo, number),
    // A tick's look before it drives a PR's release. A PR's job read its own PR once, before anything
    // else (pullRequestNow, stale-event.ts), and acts on its event only if that still held then.
    pullRequestState: async (number) =>
      number === pr?.number ? undefined : pullRequestState(client, repo, number),
    pullRequestNow: (number) => pullRequestNow(client, repo, number),
    // Beside the release's state, like the ledger's own status writes: a refusal is a warning.
    passNoLongerChanged: (model, headSha, description) =>
      setNoLongerChangedStatus(client, repo, { model, headSha, description }, runUrl).catch((error) => {
        ledger.problems.push(`could not set the commit status of ${model}: ${describeGitHubError(error)}`);
      }),
    onProgress: (releases, opts) => {
      phases.progress(releases);
      return publisher.publish(opts);
    },
  };
  return { ports, phases, publisher, ledger, runUrl, observations };
}
