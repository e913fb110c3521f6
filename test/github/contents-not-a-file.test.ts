import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { workingTreeReader } from '../../src/version/changed-models.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { FRAUD_ON_SANDBOX, fraudServing, runMainStep, startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The contents API answers a path that is no regular file with what it is: a symlink whose target
// is outside the repository (or no file), a submodule, a directory (a list of entries). Such a
// version file passed for absent: "nothing to release", no reason given, the PR not deployed.
// It is an error naming the path, what GitHub says it is and what to do, as the local CLI's
// working-tree reader says of the same file. Main step from src/, against the GitHub stand-in
// (its answers checked against GitHub's OpenAPI description) and the sandbox (fraud serves v1).
const FILE = 'models/fraud.yaml';
const VERSION_FILE = /\/contents\/models(%2F|\/)fraud\.yaml$/i;
const OWNER_REPO = 'https://api.github.com/repos/Codertocat/Hello-World';

/** The fields every contents entry has, for `path` at sha(2). */
const entry = (path: string, type: string) => ({
  type,
  size: 0,
  name: path.split('/').at(-1),
  path,
  sha: 'f'.repeat(40),
  url: `${OWNER_REPO}/contents/${path}?ref=${sha(2)}`,
  git_url: `${OWNER_REPO}/git/blobs/${'f'.repeat(40)}`,
  html_url: `https://github.com/Codertocat/Hello-World/blob/${sha(2)}/${path}`,
  download_url: null,
  _links: {
    self: `${OWNER_REPO}/contents/${path}?ref=${sha(2)}`,
    git: `${OWNER_REPO}/git/blobs/${'f'.repeat(40)}`,
    html: `https://github.com/Codertocat/Hello-World/blob/${sha(2)}/${path}`,
  },
});

let world: { sandbox: Sandbox; github: FakeGitHub } | undefined;
afterEach(async () => {
  if (!world) return;
  expect(world.github.violations).toEqual([]);
  await world.sandbox.close();
  await world.github.close();
  world = undefined;
});

/** PR #7 moves `FILE` from v1 to v2, GitHub answering `answer` for it at the head; one tick. */
async function openPr(answer: unknown) {
  world = await startFraudWorld('v1');
  const { github, sandbox } = world;
  github.setFile(sha(1), FILE, 'version: v1\n');
  github.setFile(sha(2), FILE, 'version: v2\n');
  github.setPullRequest(7, {
    baseSha: sha(1),
    headSha: sha(2),
    files: [{ filename: FILE, status: 'modified' }],
  });
  // The head is read first, the base only once the head's version is known.
  github.failNext('GET', VERSION_FILE, 200, 1, {}, answer);
  return runMainStep({
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
    inputs: { ledger: 'github', mode: 'tick' },
    config: FRAUD_ON_SANDBOX,
    githubUrl: github.url,
    env: { SANDBOX_URL: sandbox.url, MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05' },
  });
}

const AT = `cannot read ${FILE} at ${sha(2).slice(0, 7)} from GitHub`;

describe('a version file GitHub says is not a file', () => {
  it('a symlink to a path outside the repository: an error naming it and its target, nothing deployed', async () => {
    const run = await openPr({ ...entry(FILE, 'symlink'), target: '/etc/models/fraud.yaml' });
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toContain(
      `${AT}: it is a symlink to /etc/models/fraud.yaml, which GitHub does not follow as it leads outside the repository or to no file`,
    );
    expect(run.error).toContain('commit the file itself there');
    expect(run.report).not.toContain('nothing to release');
    expect(await fraudServing(world?.sandbox as Sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it('a submodule: an error naming it', async () => {
    const run = await openPr({
      ...entry(FILE, 'submodule'),
      submodule_git_url: 'https://github.com/Codertocat/models.git',
    });
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toContain(
      `${AT}: it is a git submodule (https://github.com/Codertocat/models.git), expected a file`,
    );
    expect(await fraudServing(world?.sandbox as Sandbox)).toEqual({ stable: { version: 'v1' } });
  });

  it('a directory: an error naming it, in the words of the working-tree reader', async () => {
    const run = await openPr([entry(`${FILE}/v2.yaml`, 'file')]);
    expect(run.outputs.decision).toBe('error');
    expect(run.error).toContain(`${AT}: it is a directory, expected a file`);
    expect(run.error).toContain('point the config at a file');
    expect(await fraudServing(world?.sandbox as Sandbox)).toEqual({ stable: { version: 'v1' } });

    // The local CLI's reader says the same of a directory there.
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-contents-'));
    const outside = await mkdtemp(join(tmpdir(), 'model-gate-elsewhere-'));
    try {
      await mkdir(join(dir, FILE), { recursive: true });
      await expect(workingTreeReader(dir).read('HEAD', FILE)).rejects.toThrow(
        `${FILE}: is a directory, expected a file`,
      );
      // And refuses a symlink to a file outside the checkout.
      await rm(join(dir, FILE), { recursive: true });
      await writeFile(join(outside, 'fraud.yaml'), 'version: v2\n');
      await symlink(join(outside, 'fraud.yaml'), join(dir, FILE));
      await expect(workingTreeReader(dir).read('HEAD', FILE)).rejects.toThrow('it leads outside');
    } finally {
      await rm(dir, { recursive: true, force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });
});
