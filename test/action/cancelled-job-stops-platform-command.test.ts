import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/server.js';
import { runStep } from '../support/actions-runner.js';
import type { FakeGitHub } from '../support/fake-github/server.js';
import { startFraudWorld } from '../support/main-step.js';
import { sha } from '../support/model-config.js';
import { pullRequestEvent } from '../support/payloads.js';
import { workspaceWith } from '../support/platform-pass-through.js';
import { openFraudPr } from './secret-world.js';

// A job cancelled while a command target's `apply` runs: the runner sends the main step SIGINT (then
// SIGTERM 7.5 s later, and kills the process tree 2.5 s after). The step used to die at once and the
// apply, in a process group of its own, ran on and changed traffic after the post step had withdrawn
// the candidate. Now the step stops the command (and what it started), then ends of the SIGINT as before. The apply here
// ignores SIGTERM, as a CLI busy with a rollout may, and leaves the change to a child of its own,
// which lands it 4 s later: the step is the main step from src/ as its own process.

let world: { sandbox: Sandbox; github: FakeGitHub };
let dir: string;
const started = () => join(dir, 'apply-started');
const landed = () => join(dir, 'apply-landed');

beforeAll(async () => {
  world = await startFraudWorld('v1');
  dir = await mkdtemp(join(tmpdir(), 'model-gate-cancelled-'));
  const change = `require('node:fs').writeFileSync(${JSON.stringify(landed())}, process.argv.slice(1).join(' '))`;
  await writeFile(
    join(dir, 'apply.mjs'),
    `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
process.on('SIGTERM', () => {});
const change = spawn(process.execPath, ['-e', 'setTimeout(() => { ${change.replaceAll("'", "\\'")} }, 4000)', ...process.argv.slice(2)], { stdio: 'inherit' });
writeFileSync(${JSON.stringify(started())}, '');
change.on('exit', (code) => process.exit(code ?? 1));
`,
  );
  await writeFile(join(dir, 'read.mjs'), `console.log(JSON.stringify({ stable: { version: 'v1' } }));\n`);
});

afterAll(async () => {
  await world?.sandbox.close();
  await world?.github.close();
});

const config = () => `version: 1
models:
  fraud-detector:
    source: { file: models/fraud.yaml, key: version }
    target:
      type: command
      apply: [node, ${JSON.stringify(join(dir, 'apply.mjs'))}, "{{candidate}}", "{{weight}}"]
      read: [node, ${JSON.stringify(join(dir, 'read.mjs'))}]
      timeout: 30s
    metrics: { type: sandbox, url: "${world.sandbox.url}" }
    strategy: { type: canary, steps: [10, 50] }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

describe('a job cancelled while a platform command runs', () => {
  it('stops the command before the main step exits, and the step fails of SIGINT', async () => {
    openFraudPr(world.github, 7, sha(1), sha(2));
    world.github.startRun(1234);
    let signalledAt = 0;
    const step = await runStep('index.js', {
      workspace: await workspaceWith(config(), 'model-gate-cancelled-ws-'),
      eventName: 'pull_request',
      event: pullRequestEvent('opened', { base: sha(1), head: sha(2) }, { number: 7 }),
      fromSource: true,
      env: { GITHUB_API_URL: world.github.url },
      inputs: { 'github-token': 'ghs_fake_token', 'max-wait': '2m' },
      onSpawn: (kill) => {
        const poll = setInterval(() => {
          if (!existsSync(started())) return;
          clearInterval(poll);
          signalledAt = Date.now();
          kill('SIGINT');
        }, 20);
      },
    });
    const exitedAfterMs = Date.now() - signalledAt;
    expect(signalledAt).toBeGreaterThan(0);
    // Ended of the signal, as Node would have ended it: a shell reports 130; the step failed.
    expect([step.code, step.signal]).toEqual([null, 'SIGINT']);
    // Within the 7.5 s before the runner's SIGTERM, the command's 2 s to exit included.
    expect(exitedAfterMs).toBeLessThan(5_000);
    // Past the moment the apply would have changed the platform: it never does.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(existsSync(landed())).toBe(false);
    expect(step.stdout).toContain(
      '::error::model-gate stopped on SIGINT (the job was cancelled or ran out of time); the platform command under way was stopped: the post step withdraws the candidate',
    );
    // The post step is told v2 may get live traffic.
    expect(JSON.parse(step.state.cleanup ?? '[]')).toMatchObject([{ model: 'fraud-detector', to: 'v2' }]);
  }, 60_000);
});
