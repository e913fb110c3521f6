import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { GitRepo } from '../support/git-repo.js';
import { runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import {
  ECHO_SECRETS,
  type EchoGate,
  echoWebhookConfig,
  shownSecrets,
  startEchoGate,
} from '../support/standins/header-echo-webhook.js';
import { MODEL_FILE, openFraudPr, sentToGitHub } from './secret-world.js';

// A webhook gate's service quotes the secrets it was sent in its `fail` note, which becomes the
// release's reason. The PR comment escapes Markdown before it is masked: a token with `_`, `*` or
// `[` (ghp_…) reads `ghp\_…` there, and must be masked in that form too, not left public.

let sandbox: Sandbox;
let github: FakeGitHub;
// The webhook quoting what it was sent, and traffic for its gate to judge.
let gate: EchoGate;
let dir: string;
const FILE = MODEL_FILE;

beforeAll(async () => {
  ({ sandbox, github } = await startFraudWorld('v1', 5));
  gate = await startEchoGate(sandbox.url, 200);
  dir = await mkdtemp(join(tmpdir(), 'model-gate-secret-escaped-'));
});
afterAll(async () => {
  expect(github?.violations).toEqual([]);
  await gate?.close();
  await sandbox?.close();
  await github?.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * PR `pr` opened (fraud-detector v1 -> v2), the main step run on it with `ledger` and `secrets`;
 * with a ledger file, the version files are read with git in `repo`, as the action does then.
 */
async function openPr(pr: number, ledger: string, secrets: Record<string, string>, repo?: GitRepo) {
  const [base, head] = repo
    ? [await repo.commit({ [FILE]: 'version: v1\n' }), await repo.commit({ [FILE]: 'version: v2\n' })]
    : [sha(2 * pr), sha(2 * pr + 1)];
  openFraudPr(github, pr, base, head);
  const run = await runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base, head }, { number: pr }),
    inputs: { ledger },
    config: echoWebhookConfig(gate.port, FILE),
    githubUrl: github.url,
    env: {
      SANDBOX_URL: sandbox.url,
      MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
      ...(repo && { GITHUB_WORKSPACE: repo.dir }),
      ...secrets,
    },
  });
  return { run, comment: github.comments(pr).at(-1)?.body ?? '' };
}

describe("a webhook's note quoting the secrets it was sent", () => {
  it.each([
    ['with `_`, `*` and `[`', 'ghp_AbC*d[e]f1234', 11],
    ['with `_` only', 'tok_abcdefgh12345', 12],
  ])(
    'shows no secret (a token %s) in the comment, the summary or what GitHub stores',
    async (_, token, pr) => {
      const secrets = { ...ECHO_SECRETS, API_TOKEN: token };
      const { run, comment } = await openPr(pr, 'github', secrets);
      // The gate failed on the note, which the comment shows with each secret masked.
      expect(comment).toContain(
        'rolled back to v1 in step 1 of 2 (10% of live traffic): hook: hook: path=…?… auth=*** org=***',
      );
      expect(shownSecrets(comment, secrets)).toEqual([]);
      expect(shownSecrets(run.report, secrets)).toEqual([]);
      expect(shownSecrets(sentToGitHub(github), secrets)).toEqual([]);
    },
  );

  it('shows no secret in a ledger file (`ledger: <path>`) or the summary', async () => {
    const secrets = { ...ECHO_SECRETS, API_TOKEN: 'tok_abcdefgh12345' };
    const ledger = join(dir, 'ledger.json');
    const repo = await GitRepo.create();
    const { run } = await openPr(13, ledger, secrets, repo);
    await rm(repo.dir, { recursive: true, force: true });
    expect(run.report).toContain(
      'rolled back to v1 in step 1 of 2 (10% of live traffic): hook: hook: path=…?… auth=*** org=***',
    );
    const stored = await readFile(ledger, 'utf8');
    expect(stored).toContain('"reason": "hook: hook: path=…?… auth=*** org=***"');
    expect(shownSecrets(stored, secrets)).toEqual([]);
    expect(shownSecrets(run.report, secrets)).toEqual([]);
    expect(shownSecrets(sentToGitHub(github), secrets)).toEqual([]);
  });
});
