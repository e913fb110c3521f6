import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { handleCommand } from '../../src/release/commands.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';
import { runMainStep } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// command status while a version takes all live traffic: the report says first what serves (the
// candidate), then the release in flight, and its title says it is a status, also when no release
// put the version there (set by hand). The real sandbox, a file ledger with v1 promoted from v0 by
// PR #3; the CLI and the action's main step print the same heading and lines.
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 2, step-duration: 5m, min-requests: 100, interval: 30s }';
const CANARY = '{ type: canary, steps: [50, 100], step-duration: 5m, min-requests: 100, interval: 30s }';
const STABLE_V1 = 'stable v1 takes none meanwhile, on record since the promotion v0 → v1 (PR #3)';
const BY_HAND = `${MODEL}: v2 takes all live traffic (no release of it is in flight on record: changed outside model-gate?); ${STABLE_V1}`;
const BY_HAND_TITLE =
  'ℹ️ Status: no release in flight, yet a version outside model-gate takes all live traffic';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const putTraffic = (state: unknown) =>
  requestJson('PUT', `${sandbox.url}/admin/models/${MODEL}/traffic`, state);

async function status(strategy: string, before: (w: Awaited<ReturnType<typeof prOnSandbox>>) => unknown) {
  const w = await prOnSandbox(sandbox, { strategy, from: 'v1', to: 'v2', promotedFrom: 'v0' });
  await before(w);
  const result = await handleCommand(w.config, 'status', { dryRun: false }, w.ports);
  const markdown = renderMarkdown(w.config, result, { now: w.clock.now() });
  const terminal = renderTerminal(w.config, result, w.clock.now());
  return { ...w, result, markdown, terminal };
}

describe('command status: what serves first, under a status heading', () => {
  it('rolling, ready with v2 on every instance: v2 serving comes before the release line', async () => {
    const s = await status(ROLLING, async (w) => {
      expect((await w.open('watch')).releases[0]?.status).toBe('ready');
    });
    const serves = `${MODEL}: v2 takes all live traffic, on every instance (rolling, ready, awaiting merge of PR #7); ${STABLE_V1}`;
    const ready = `${MODEL} v2 passed every gate and is ready to merge`;
    expect(s.markdown.split('\n').slice(0, 5)).toEqual([
      '## model-gate: ✅ Status: ready to merge',
      '',
      `- ${serves}`,
      `- ${ready}`,
      '',
    ]);
    expect(s.terminal.split('\n').slice(0, 3)).toEqual([
      'model-gate: ✅ Status: ready to merge',
      `  ${serves}`,
      `  ${ready}`,
    ]);
  });

  it('v2 put at 100% by hand, no release on record: a status heading, not "Nothing to release"', async () => {
    const s = await status(CANARY, () =>
      putTraffic({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } }),
    );
    expect(s.markdown.split('\n').slice(0, 4)).toEqual([
      `## model-gate: ${BY_HAND_TITLE}`,
      '',
      `- ${BY_HAND}`,
      '',
    ]);
    expect(s.markdown).not.toContain('Nothing to release');
    expect(s.terminal).toBe(`model-gate: ${BY_HAND_TITLE}\n  ${BY_HAND}\n`);
  });

  it('the CLI and the action print the same heading and line', async () => {
    const s = await status(CANARY, () =>
      putTraffic({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } }),
    );
    const config = `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "${sandbox.url}" }
    metrics: { type: sandbox, url: "${sandbox.url}" }
    strategy: ${CANARY}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
    const repo = await GitRepo.create();
    await repo.commit({ '.github/model-gate.yml': config, 'model.yaml': 'version: v1\n' }, 'v1');
    const cli = await runCli(repo.dir, ['run', 'status', '--ledger', s.ledgerPath]);
    expect([cli.code, cli.stderr]).toEqual([0, '']);
    expect(cli.stdout).toContain(`model-gate: ${BY_HAND_TITLE}\n  ${BY_HAND}\n`);

    const action = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent({ command: 'status' }),
      inputs: { command: 'status', ledger: s.ledgerPath },
      config,
      // A file ledger: GitHub is not asked anything.
      githubUrl: 'http://127.0.0.1:1',
    });
    expect(action.error).toBeUndefined();
    expect(action.outputs.decision).toBe('skipped');
    expect(action.log).toContain(`model-gate: ${BY_HAND_TITLE}\n  ${BY_HAND}\n`);
    expect(action.report).toContain(`## model-gate: ${BY_HAND_TITLE}\n\n- ${BY_HAND}\n`);
  });
});
