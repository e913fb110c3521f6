import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBody } from '../../src/github/sticky-comment.js';
import { runStep, type StepRun } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';

// The action's main step as its own process (from src/, as dist/index.js runs it) on a PR that
// moves fraud-detector from v1 to v2, against the GitHub stand-in: for the secret tests, what a
// user reads of a run is the log as the runner shows it, the PR comment and what GitHub stores.

export const MODEL = 'fraud-detector';
const FILE = 'models/fraud.yaml';

/** The step's stdout as the runner shows it: every value registered with `::add-mask::` replaced by ***. */
export function runnerLog(stdout: string): string {
  const masks: string[] = [];
  const shown: string[] = [];
  // A workflow command's data has %, CR and LF escaped by @actions/core; the runner shows it unescaped.
  const commandData = (data: string) => data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  for (const raw of stdout.split('\n')) {
    const command = /^(::[a-z-]+(?: [^:]*)?::)(.*)$/.exec(raw);
    const line = command ? `${command[1]}${commandData(command[2] ?? '')}` : raw;
    const mask = line.startsWith('::add-mask::') ? line.slice('::add-mask::'.length) : undefined;
    if (mask === undefined) {
      shown.push(masks.reduce((text, m) => text.split(m).join('***'), line));
      continue;
    }
    // The runner also masks each line of a multi-line value.
    for (const m of [mask, ...mask.split(/\r?\n/).map((l) => l.trim())])
      if (m.trim() !== '' && !masks.includes(m)) masks.push(m);
    masks.sort((a, b) => b.length - a.length);
    shown.push('::add-mask::***');
  }
  return shown.join('\n');
}

/**
 * Everything model-gate sent GitHub, as one text: each comment with the ledger's state hidden in it
 * decoded, commit statuses, deployments and their payloads.
 */
export function sentToGitHub(github: FakeGitHub): string {
  return JSON.stringify(
    github.requests.map(({ body }) => {
      const text = (body as { body?: unknown } | undefined)?.body;
      return typeof text === 'string' ? { body, stored: readBody(text).data } : body;
    }),
  );
}

/** On the stand-in, PR `number` moving fraud-detector (MODEL_FILE) from v1 at `base` to v2 at `head`. */
export function openFraudPr(github: FakeGitHub, number: number, base: string, head: string): void {
  github.setFile(base, FILE, 'version: v1\n');
  github.setFile(head, FILE, 'version: v2\n');
  github.setPullRequest(number, {
    baseSha: base,
    headSha: head,
    files: [{ filename: FILE, status: 'modified' }],
  });
}

/**
 * Opens PR `number` (v1 -> v2) with `config` as .github/model-gate.yml and runs the main step on
 * it with `env`; its comment is the stand-in's last comment on the PR.
 */
export async function runOnPullRequest(
  github: FakeGitHub,
  number: number,
  config: string,
  env: Record<string, string>,
  inputs: Record<string, string> = {},
): Promise<StepRun & { log: string; comment: string }> {
  const workspace = await mkdtemp(join(tmpdir(), 'model-gate-secret-'));
  await mkdir(join(workspace, '.github'));
  await writeFile(join(workspace, '.github', 'model-gate.yml'), config);
  const [base, head] = [sha(2 * number), sha(2 * number + 1)];
  openFraudPr(github, number, base, head);
  const runId = 500 + number;
  github.startRun(runId);
  const run = await runStep('index.js', {
    workspace,
    eventName: 'pull_request',
    event: pullRequestEvent('opened', { base, head }, { number }),
    fromSource: true,
    env: { GITHUB_API_URL: github.url, GITHUB_RUN_ID: String(runId), ...env },
    inputs: { 'github-token': 'ghs_secret_test_token', 'max-wait': '2m', ...inputs },
  }).finally(() => github.endRun(runId));
  // The comment's markdown escapes the mask's stars.
  const comment = (github.comments(number).at(-1)?.body ?? '').replaceAll('\\*', '*');
  return { ...run, log: runnerLog(run.stdout), comment };
}

export { FILE as MODEL_FILE };
