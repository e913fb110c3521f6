import type { Config } from '../../src/config/types.js';
import type { Clock } from '../../src/core/clock.js';
import { gitHubClient } from '../../src/github/client.js';
import { CommentPublisher } from '../../src/github/comment-publisher.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import type { Repo } from '../../src/github/repo-files.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import type { Target } from '../../src/targets/target.js';
import { enginePorts } from './engine-ports.js';

/**
 * One PR job of the action on a GitHub stand-in at `githubUrl`: the engine with the PR comment as
 * its ledger, through the action's own client (it redacts what it writes, its waits scaled down),
 * then the comment published as the action's last step does.
 */
export function gitHubPrJob(opts: {
  githubUrl: string;
  repo: Repo;
  config: Config;
  event: PullRequestEvent;
  target: Target;
  files: Record<string, Record<string, string>>;
  clock: Clock;
  runId: number;
  /** The publisher's warnings (a write GitHub refused for now). */
  warn?: (message: string) => void;
}) {
  const { config, event, clock } = opts;
  const client = gitHubClient({
    token: 'ghs_job',
    baseUrl: opts.githubUrl,
    warn: () => {},
    waitScale: 0.001,
  });
  const ledger = new GitHubLedger({
    client,
    repo: opts.repo,
    sha: event.headSha,
    pr: event.number,
    models: Object.keys(config.models),
  });
  const ports = enginePorts({ ledger, files: opts.files, clock, target: opts.target });
  const render = (r: Parameters<typeof renderMarkdown>[1], compact: boolean) =>
    renderMarkdown(config, r, { now: clock.now(), compact, prComment: true });
  const publisher = new CommentPublisher(ledger, render, { runId: opts.runId, attempt: 1 }, clock, {
    settleMs: 0,
    ...(opts.warn ? { warn: opts.warn } : {}),
  });
  return {
    ledger,
    async run(mode: 'watch' | 'tick' = 'watch') {
      const result = await handlePullRequest(config, event, ports, {
        mode,
        maxWaitMs: 3_600_000,
        dryRun: false,
      });
      await publisher.publish({ final: true, notes: new Map([[event.number, result.skipped]]) });
      return result;
    },
  };
}
