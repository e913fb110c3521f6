import { getOctokit } from '@actions/github';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maskSecrets, secretsToMask } from '../../src/action/secrets.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { GitHubLedger } from '../../src/github/github-ledger.js';
import { COMMENT_MARKER, readBody } from '../../src/github/sticky-comment.js';
import { LedgerStateError } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import { runDecision } from '../../src/report/decision.js';
import type { Target } from '../../src/targets/target.js';
import { enginePorts } from '../support/engine-ports.js';
import { type FakeGitHub, startFakeGitHub } from '../support/fake-github/server.js';
import { gitHubPrJob } from '../support/github-pr-job.js';
import { MemoryTarget } from '../support/memory-target.js';
import { sha } from '../support/model-config.js';

// What the PR comment carries and what model-gate trusts of it, on a GitHub stand-in that checks
// every request against GitHub's OpenAPI description. Anyone with write access can edit the
// comment, state block included; and the comment is not masked the way the log is.

const repo = { owner: 'Codertocat', repo: 'Hello-World' };
const ENV = 'model-gate/fraud';
const configText = (target: string) => `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: ${target}
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const { config } = parseConfig(configText('{ type: sandbox, url: "http://127.0.0.1:1" }'), {});
const files: Record<string, Record<string, string>> = {};
const clock = new FakeClock(Date.now());
let github: FakeGitHub;
let prs = 0;
let runId = 100;

// A GitHub per test: a PR left ready holds the model's canary slot.
beforeEach(async () => {
  github = await startFakeGitHub(repo);
});
afterEach(async () => {
  expect(github.violations).toEqual([]);
  await github.close();
});

/** A new PR that moves fraud from v1 to `to`. */
function pullRequest(to: string): PullRequestEvent {
  const number = ++prs;
  files[sha(2 * number)] = { 'fraud.yaml': 'version: v1\n' };
  files[sha(2 * number + 1)] = { 'fraud.yaml': `version: ${to}\n` };
  github.setPullRequest(number, { baseSha: sha(2 * number), headSha: sha(2 * number + 1), files: [] });
  return { action: 'opened', number, baseSha: sha(2 * number), headSha: sha(2 * number + 1), merged: false };
}

/** One job of the action on `event`: the engine with GitHub as its ledger, then the comment published. */
const job = (event: PullRequestEvent, target: Target, cfg: Config = config) =>
  gitHubPrJob({ githubUrl: github.url, repo, config: cfg, event, target, files, clock, runId: ++runId });

const commentOf = (pr: number) => {
  const [ours, ...more] = github.comments(pr).filter((c) => c.body.startsWith(COMMENT_MARKER));
  expect(more).toEqual([]);
  if (!ours) throw new Error(`PR #${pr} has no model-gate comment`);
  return ours;
};

type Stored = { releases: Record<string, Partial<Release>> };

/** A maintainer edits the bot's comment on GitHub (repository writers can): its body, or the state it hides. */
async function edit(pr: number, change: (body: string) => string): Promise<number> {
  const comment = commentOf(pr);
  const writer = getOctokit('ghp_maintainer', { baseUrl: github.url });
  await writer.rest.issues.updateComment({ ...repo, comment_id: comment.id, body: change(comment.body) });
  return comment.id;
}
const editState = (pr: number, change: (state: Stored) => void) =>
  edit(pr, (body) => {
    const state = readBody(body).data as Stored;
    change(state);
    const encoded = Buffer.from(JSON.stringify(state)).toString('base64');
    return body.replace(/<!-- model-gate-data:\S* -->/, () => `<!-- model-gate-data:${encoded} -->`);
  });

/** A PR analysed to ready (the candidate withdrawn, awaiting merge), its merge event, and the platform. */
async function readyPullRequest() {
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const event = pullRequest('v2');
  expect(runDecision(await job(event, target).run())).toBe('ready');
  const ready = structuredClone(target.state);
  expect(ready).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
  return { target, ready, event, merged: { ...event, action: 'closed' as const, merged: true } };
}

const RULE = 'letters, digits, . _ + - only, at most 128 characters';
const setRelease = (field: keyof Release, value: unknown) => (s: Stored) => {
  Object.assign(s.releases.fraud ?? {}, { [field]: value });
};

describe('a model-gate comment whose state was edited by hand', () => {
  it.each<[string, (s: Stored) => void, string]>([
    [
      'a shell command as the candidate',
      setRelease('to', '1.2; rm -rf /'),
      `releases.fraud.to: "1.2; rm -rf /" is not a valid version (${RULE})`,
    ],
    [
      'a command substitution',
      setRelease('to', '$(id)'),
      `releases.fraud.to: "$(id)" is not a valid version (${RULE})`,
    ],
    [
      'an option for the platform CLI',
      setRelease('to', '--force'),
      'releases.fraud.to: "--force" is not a valid version (it must start with a letter or digit)',
    ],
    [
      '10 kB as the version a rollback serves',
      setRelease('from', 'v'.repeat(10_240)),
      `releases.fraud.from: "${'v'.repeat(40)}…" (10240 characters) is not a valid version (${RULE})`,
    ],
    [
      'an unknown status',
      setRelease('status', 'hacked'),
      'releases.fraud.status: expected one of "analysing", "ready", "failed", "promoted", "aborted" or "superseded", got "hacked"',
    ],
    [
      'a release filed under another model',
      (s) => {
        s.releases.churn = { ...s.releases.fraud };
      },
      'releases.churn.model: expected "churn", the model it is filed under, got "fraud"',
    ],
  ])(
    '%s: the merge stops with an error naming the comment and the field, and deploys nothing',
    async (_, change, problem) => {
      const { target, ready, event, merged } = await readyPullRequest();
      const id = await editState(event.number, change);
      const edited = commentOf(event.number).body;
      const writes = target.writes.length;
      const deployments = github.deployments(ENV).length;

      const error = await job(merged, target)
        .run()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerStateError);
      expect((error as Error).message).toBe(
        `the model-gate state in comment #${id} of PR #${event.number} does not parse: ${problem}. ` +
          'model-gate does not act on it and changes nothing on the serving platform for it. If the comment ' +
          "was edited, restore it from its edit history; or delete it to start the PR's releases over.",
      );
      expect(target.writes).toHaveLength(writes);
      expect(target.state).toEqual(ready);
      expect(github.deployments(ENV)).toHaveLength(deployments);
      // Left as the editor left it: the evidence stays, and a restore from its history works.
      expect(commentOf(event.number).body).toBe(edited);
    },
  );

  it.each<[string, (body: string) => string, string]>([
    [
      'without its state block',
      (b) => b.replace(/<!-- model-gate-data:\S* -->\n/, ''),
      'it has no model-gate-data block',
    ],
    [
      'with a state block that is not base64',
      (b) => b.replace(/model-gate-data:\S*/, () => 'model-gate-data:$(id)'),
      'its model-gate-data block is not base64-encoded JSON',
    ],
  ])('%s: the merge stops with an error, rather than finding no release', async (_, change, problem) => {
    const { target, ready, event, merged } = await readyPullRequest();
    const id = await edit(event.number, change);
    await expect(job(merged, target).run()).rejects.toThrow(
      `the model-gate state in comment #${id} of PR #${event.number} does not parse: ${problem}.`,
    );
    expect(target.state).toEqual(ready);
  });

  it('keeps, with a warning, the release of a model the config does not declare', async () => {
    const { target, event, merged } = await readyPullRequest();
    const id = await editState(event.number, (s) => {
      s.releases.retired = { ...s.releases.fraud, model: 'retired', to: 'v9' };
    });
    const merge = job(merged, target);
    expect(runDecision(await merge.run())).toBe('promoted');
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    expect(merge.ledger.problems).toEqual([
      `the model-gate comment #${id} of PR #${event.number} holds a release of "retired", a model the config does not declare: no run can drive it, so it is kept as recorded; if its candidate may still be live, withdraw it with the config that declared it`,
    ]);
    const body = commentOf(event.number).body;
    // Erasing it would hide a candidate that may still be live.
    expect(Object.keys((readBody(body).data as Stored).releases)).toEqual(['fraud', 'retired']);
    expect((readBody(body).data as Stored).releases.retired).toMatchObject({ to: 'v9' });
  });

  it('records no release, and deploys nothing, when the platform serves a version that fails the rules', async () => {
    // A rollback would serve it again; and a state holding it would not read back.
    const target = new MemoryTarget({ stable: { version: 'v1 (legacy)' } });
    const event = pullRequest('v2');
    await expect(job(event, target).run()).rejects.toThrow(
      new LedgerStateError(
        `cannot record the release of fraud in the comment of PR #${event.number}: from: "v1 (legacy)" is not a valid version (${RULE})`,
      ),
    );
    expect(target.writes).toEqual([]);
    expect(github.comments(event.number)).toEqual([]);
  });

  it('a schedule tick warns about the edited comment and goes on, instead of stopping every model', async () => {
    const { target, ready, event } = await readyPullRequest();
    await editState(event.number, setRelease('to', '$(id)'));
    const warnings: string[] = [];
    const ledger = new GitHubLedger({
      client: getOctokit('ghs_tick', { baseUrl: github.url }),
      repo,
      sha: sha(999),
      models: Object.keys(config.models),
    });
    const ports = enginePorts({ ledger, files, clock, target, warn: (m) => warnings.push(m) });
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 });
    expect(result.skipped[0]).toMatchObject({ model: 'fraud' });
    expect(result.skipped[0]?.why).toContain('releases.fraud.to: "$(id)" is not a valid version');
    expect(warnings.some((w) => w.startsWith('fraud: the model-gate state in comment #'))).toBe(true);
    expect(target.state).toEqual(ready);
  });
});

describe('a failing command that prints a secret on stderr', () => {
  it('leaves *** in the PR comment, its hidden state and the commit status, never the secret', async () => {
    const SECRET = 'dpl_7Hq2vX9kLm4Rt8Wz';
    const env = { DEPLOY_TOKEN: SECRET };
    const node = JSON.stringify(process.execPath);
    // As `set -x` or `curl -v` show a request: the token from the job's environment, on stderr.
    const apply = JSON.stringify(
      "console.error('+ curl -H \"Authorization: Bearer ' + process.env.DEPLOY_TOKEN + '\" https://deploy.example/fraud'); process.exit(1)",
    );
    const read = JSON.stringify("console.log(JSON.stringify({ stable: { version: 'v1' } }))");
    const target = `{ type: command, apply: [${node}, -e, ${apply}, --, "--token=\${DEPLOY_TOKEN}", "{{candidate}}"], read: [${node}, -e, ${read}] }`;
    const { config: cfg, interpolated } = parseConfig(configText(target), env);
    // What the action does with the config it loaded.
    maskSecrets(secretsToMask(interpolated, env));
    process.env.DEPLOY_TOKEN = SECRET;
    try {
      const event = pullRequest('v2');
      const result = await job(event, targetFor(cfg.models.fraud as Config['models'][string]), cfg).run(
        'tick',
      );
      expect(result.releases[0]?.reason).toContain('failed (exit 1): + curl -H "Authorization: Bearer ***"');

      const body = commentOf(event.number).body;
      // Markdown-escaped in the report.
      expect(body).toContain('Authorization: Bearer \\*\\*\\*');
      expect(body).not.toContain(SECRET);
      const state = JSON.stringify(readBody(body).data);
      expect(state).toContain('Authorization: Bearer ***');
      expect(state).not.toContain(SECRET);
      // The status is cut at 140 characters, after the message was redacted: not even a piece shows.
      const statuses = github.commitStatuses(event.headSha).map((s) => s.description);
      // Its rollback failed too (the same apply): what may still serve leads.
      expect(statuses).toContainEqual(
        expect.stringContaining(
          'v2 may still get live traffic: the rollback to v1 failed; the serving platform failed',
        ),
      );
      for (const status of statuses) expect(status).not.toContain(SECRET.slice(0, 6));
    } finally {
      delete process.env.DEPLOY_TOKEN;
    }
  });
});
