import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { fraudCanaryConfig, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// GitHub's contents API sends a file over 1 MB with `content: ""` and `encoding: "none"`; only the
// raw media type gives its text (up to 100 MB). Read as it came, such a file was empty: an
// evaluation file "unchanged from the base branch" (both empty), a version file whose top level
// "is empty". Main step from src/, against the GitHub stand-in and the sandbox (fraud serves v1).
const FILE = 'models/fraud.yaml';
const EVAL = 'models/fraud/eval.json';
const CONFIG = fraudCanaryConfig('{ type: canary, steps: [10, 50] }').replace(
  '    gates:\n',
  `    gates:\n      - { name: auc, kind: offline, file: ${EVAL}, key: auc, min: 0.9 }\n`,
);

/** An evaluation file of about 1.3 MB: its auc, then a line per example. */
const evaluation = (auc: number) =>
  JSON.stringify({
    auc,
    examples: Array.from(
      { length: 27_000 },
      (_, i) =>
        `example-${String(i).padStart(6, '0')} label=${i % 2} score=${(i % 9973) / 10_000} card payment`,
    ),
  });

let world: { sandbox: Sandbox; github: FakeGitHub } | undefined;

afterEach(async () => {
  if (!world) return;
  expect(world.github.violations).toEqual([]);
  await world.sandbox.close();
  await world.github.close();
  world = undefined;
});

/**
 * PR #7 from sha(1) to sha(2) touching `FILE` and `EVAL`, with these files at base and head; one
 * tick of the main step. `seed` readies the stand-in further first.
 */
async function openPr(
  base: Record<string, string>,
  head: Record<string, string>,
  seed: (github: FakeGitHub) => void = () => {},
) {
  world = await startFraudWorld('v1');
  const { github, sandbox } = world;
  seed(github);
  for (const [path, text] of Object.entries(base)) github.setFile(sha(1), path, text);
  for (const [path, text] of Object.entries(head)) github.setFile(sha(2), path, text);
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [FILE, EVAL].map((filename) => ({ filename, status: 'modified' as const })),
  });
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    inputs: { ledger: 'github', mode: 'tick' },
    config: CONFIG,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

describe('a file over 1 MB read from GitHub', () => {
  it("an offline gate judges a 1.3 MB evaluation file by the head's value, not as unchanged", async () => {
    const base = { [FILE]: 'version: v1\n', [EVAL]: evaluation(0.8) };
    const head = { [FILE]: 'version: v2\n', [EVAL]: evaluation(0.95) };
    expect(Buffer.byteLength(head[EVAL])).toBeGreaterThan(1.3 * 1024 * 1024);
    const run = await openPr(base, head);
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('analysing');
    expect(run.report).not.toContain('unchanged from the base branch');
    expect(JSON.parse(run.outputs.models ?? '[]')).toMatchObject([{ model: 'fraud-detector', to: 'v2' }]);
    expect(await fraudServing(world?.sandbox as Sandbox)).toMatchObject({ canary: { version: 'v2' } });
  });

  it('a 10 MB version file declares its version: the candidate is deployed', async () => {
    const big = `version: v2\nnotes: ${'x'.repeat(10 * 1024 * 1024)}\n`;
    const run = await openPr(
      { [FILE]: 'version: v1\n', [EVAL]: '{"auc": 0.8}' },
      { [FILE]: big, [EVAL]: '{"auc": 0.95}' },
    );
    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('analysing');
    expect(await fraudServing(world?.sandbox as Sandbox)).toMatchObject({ canary: { version: 'v2' } });
    // The stand-in answers as GitHub documents it: no content in the JSON answer of a file over 1 MB.
    const url = `${world?.github.url}/repos/Codertocat/Hello-World/contents/${FILE}?ref=${sha(2)}`;
    const json = await fetch(url, { headers: { authorization: 'token t', 'user-agent': 'test' } });
    expect(await json.json()).toMatchObject({ content: '', encoding: 'none', size: Buffer.byteLength(big) });
  }, 30_000);

  it('a file GitHub refuses as over 100 MB is an error naming it, and nothing is deployed', async () => {
    const tooLarge = {
      message:
        'This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API.',
      errors: [{ resource: 'Blob', field: 'data', code: 'too_large' }],
      documentation_url: 'https://docs.github.com/rest/repos/contents#get-repository-content',
      status: '403',
    };
    // Both the JSON and the raw media type refuse the head's version file.
    const run = await openPr({ [FILE]: 'version: v1\n' }, {}, (github) =>
      github.failNext('GET', /\/contents\/models(\/|%2F)fraud\.yaml$/i, 403, 2, {}, tooLarge),
    );
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toContain(
      `cannot read ${FILE} at ${sha(2).slice(0, 7)} from GitHub: it is larger, and GitHub's contents API serves files up to 100 MB`,
    );
    expect(await fraudServing(world?.sandbox as Sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
