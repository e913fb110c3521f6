import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { openFraudPr } from '../action/secret-world.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { workspaceWith } from '../support/platform-pass-through.js';
import { alive } from '../support/processes.js';

// A job cancelled while the CloudWatch source reads metrics: the main step stops the platform
// commands under way before it ends (stop-on-cancel.ts), and `aws cloudwatch get-metric-data`,
// started in a process group of its own by the source's own runner, used to be out of its reach:
// it ran on after the step ended, up to the source's timeout. The `aws` here (on PATH) records its
// pid and answers only once told to (the metrics-fake-aws.ts stand-in's `hang` records no pid).

let world: { sandbox: Sandbox; github: FakeGitHub };
let dir: string;
const at = (file: string) => join(dir, file);
let held: number | undefined;

const AWS = `#!${process.execPath}
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const dir = process.env.HELD_AWS_DIR;
writeFileSync(join(dir, 'aws.pid'), String(process.pid));
const given = Date.now() + 60_000;
const poll = setInterval(() => {
  if (!existsSync(join(dir, 'go')) && Date.now() < given) return;
  clearInterval(poll);
  console.log(JSON.stringify({ MetricDataResults: [], Messages: [] }));
}, 50);
`;

beforeAll(async () => {
  world = await startFraudWorld('v1');
  dir = await mkdtemp(join(tmpdir(), 'model-gate-cloudwatch-cancelled-'));
  await mkdir(at('bin'));
  await writeFile(at('bin/aws'), AWS);
  await chmod(at('bin/aws'), 0o755);
  await writeFile(at('read.mjs'), `console.log(JSON.stringify({ stable: { version: 'v1' } }));\n`);
});
afterEach(async () => {
  // Never left waiting, whatever the test found.
  await writeFile(at('go'), '');
  if (held !== undefined && alive(held)) process.kill(held, 'SIGKILL');
});
afterAll(async () => {
  await world?.sandbox.close();
  await world?.github.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const stat = (id: string, metric: string, statistic: string) =>
  `{"Id": "${id}", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker", "MetricName": "${metric}", "Dimensions": [{"Name": "VariantName", "Value": "{{version}}"}]}, "Stat": "${statistic}"}}`;
const config = () => `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target:
      type: command
      apply: [node, ${JSON.stringify(at('read.mjs'))}]
      read: [node, ${JSON.stringify(at('read.mjs'))}]
    metrics: { type: cloudwatch, region: eu-west-1, timeout: 50s, requests: '${stat('r', 'Invocations', 'Sum')}' }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: ratio, max-increase: 10%, events: '${stat('e', 'Invocation5XXErrors', 'Sum')}' }
`;

describe('a job cancelled while aws cloudwatch get-metric-data runs', () => {
  it('stops the aws CLI before the main step ends, saying so', async () => {
    openFraudPr(world.github, 7, sha(1), sha(2));
    world.github.startRun(1234);
    const step = await runStep('index.js', {
      workspace: await workspaceWith(config(), 'model-gate-cloudwatch-cancelled-ws-'),
      eventName: 'pull_request',
      event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      fromSource: true,
      env: {
        GITHUB_API_URL: world.github.url,
        HELD_AWS_DIR: dir,
        PATH: `${at('bin')}${delimiter}${process.env.PATH}`,
      },
      inputs: { 'github-token': 'ghs_fake_token', 'max-wait': '2m' },
      onSpawn: (kill) => {
        const poll = setInterval(() => {
          if (!existsSync(at('aws.pid'))) return;
          clearInterval(poll);
          kill('SIGINT');
        }, 20);
      },
    });
    const aws = Number(await readFile(at('aws.pid'), 'utf8'));
    held = aws;
    const outlived = alive(aws);
    // Ended of the signal, as before: the step failed.
    expect([step.code, step.signal]).toEqual([null, 'SIGINT']);
    // Nothing the step started outlives it, and it says it stopped the command.
    expect(outlived).toBe(false);
    expect(step.stdout).toContain(
      '::error::model-gate stopped on SIGINT (the job was cancelled or ran out of time); the platform command under way was stopped: the post step withdraws the candidate',
    );
  }, 60_000);
});
