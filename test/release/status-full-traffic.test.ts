import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import { handleCommand } from '../../src/release/commands.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';
import { MODEL, prOnSandbox } from './pr-on-sandbox.js';

// command status while PR #7's candidate v2 takes all live traffic (a rolling release on every
// instance awaiting merge, a blue-green bake, a canary step at 100%): v2 is what serves, not v1.
// On the real sandbox, a file ledger with v1 promoted from v0 by PR #3, and a fake clock.
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 2, step-duration: 5m, min-requests: 100, interval: 30s }';
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 10m, rollback-window: 1h, min-requests: 100, interval: 30s }';
const CANARY = '{ type: canary, steps: [50, 100], step-duration: 5m, min-requests: 100, interval: 30s }';
const yaml = (strategy: string) => `version: 1
models:
  ${MODEL}:
    source: { file: model.yaml, key: version }
    target: { type: sandbox, url: "\${SANDBOX_URL}" }
    metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const STABLE_V1 = 'stable v1 takes none meanwhile, on record since the promotion v0 → v1 (PR #3)';
const OLD_LINE = `- ${MODEL} serves v1 since`;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const served = async () => (await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body;

/** v1 serving, promoted from v0 by PR #3; PR #7 moving it to v2 under `strategy`. */
async function world(strategy: string) {
  const w = await prOnSandbox(sandbox, { strategy, from: 'v1', to: 'v2', promotedFrom: 'v0' });
  const { config, clock, ledgerPath, ports, open } = w;
  const tick = () => handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0 });
  const status = async () => {
    const result = await handleCommand(config, 'status', { dryRun: false }, ports);
    return {
      markdown: renderMarkdown(config, result, { now: clock.now() }),
      terminal: renderTerminal(config, result, clock.now()),
    };
  };
  return { clock, ledgerPath, open, tick, status };
}

describe('command status while the candidate takes all live traffic', () => {
  it('rolling, ready with v2 on every instance: says v2 serves there, awaiting the merge of PR #7', async () => {
    const w = await world(ROLLING);
    expect((await w.open('watch')).releases[0]?.status).toBe('ready');
    expect(await served()).toEqual({
      stable: { version: 'v1' },
      rolling: { version: 'v2', instances: 4, replaced: 4 },
    });
    const line = `${MODEL}: v2 takes all live traffic, on every instance (rolling, ready, awaiting merge of PR #7); ${STABLE_V1}`;
    const { markdown, terminal } = await w.status();
    expect(markdown).toContain(`- ${line}`);
    expect(markdown).not.toContain(OLD_LINE);
    expect(terminal).toContain(line);
  });

  it('blue-green bake: says v2 serves while green bakes', async () => {
    const w = await world(BLUE_GREEN);
    await w.open('tick');
    expect(await served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
    const { markdown } = await w.status();
    expect(markdown).toContain(
      `- ${MODEL}: v2 takes all live traffic (blue-green, analysing bake on green, PR #7); ${STABLE_V1}`,
    );
    expect(markdown).not.toContain(OLD_LINE);
  });

  it('canary: v1 serves beside v2 at 50%, v2 serves alone at the 100% step', async () => {
    const w = await world(CANARY);
    await w.open('tick');
    expect(await served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 50 } });
    // v1 still takes half of the traffic: the serving line stays as it was.
    expect((await w.status()).markdown).toContain(`${OLD_LINE} the promotion v0 → v1`);

    w.clock.advance(6 * 60_000);
    await w.tick();
    expect(await served()).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 100 } });
    const { markdown } = await w.status();
    expect(markdown).toContain(
      `- ${MODEL}: v2 takes all live traffic (canary, analysing step 2 of 2, PR #7); ${STABLE_V1}`,
    );
    expect(markdown).not.toContain(OLD_LINE);
  });

  it('model-gate run status, in its own process, says the same', async () => {
    const w = await world(ROLLING);
    await w.open('watch');
    const repo = await GitRepo.create();
    await repo.commit({ '.github/model-gate.yml': yaml(ROLLING), 'model.yaml': 'version: v1\n' }, 'v1');
    const run = await runCli(repo.dir, ['run', 'status', '--ledger', w.ledgerPath], {
      SANDBOX_URL: sandbox.url,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `${MODEL}: v2 takes all live traffic, on every instance (rolling, ready, awaiting merge of PR #7); ${STABLE_V1}`,
    );
    expect(run.stdout).not.toContain(`${MODEL} serves v1 since`);
  });
});
