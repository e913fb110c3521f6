import { expect, it, vi } from 'vitest';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, declareIn, repoAtV1, useCliRunWorld } from '../support/cli-run-world.js';
import { waitFor } from '../support/prometheus.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// `model-gate run release` of a blue-green on the sandbox, as a user runs it: green bakes at 100% of
// live traffic, and the gate's baseline is blue's traffic just before the switch, which the report
// must say (beside "100% of live traffic" a baseline with its own requests read as a contradiction).
vi.setConfig({ testTimeout: 60_000 });
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 3s, rollback-window: 1h, step-duration: 30s, min-requests: 50, interval: 1s }';
const world = useCliRunWorld();

/**
 * Until blue (v1) has served live traffic over the last 4 s: the bake's baseline is the same length
 * just before the switch, which a run started as the traffic begins would find (nearly) empty.
 */
async function blueServedFourSeconds(): Promise<void> {
  const source = sandboxSource({ type: 'sandbox', url: world.sandbox.url });
  await waitFor('4 s of live traffic on v1', 20_000, async () => {
    const now = Date.now();
    const w = { model: CLI_MODEL, slot: 'stable' as const, version: 'v1', since: now - 4000, until: now };
    return (await source.requests(w)) >= 400 ? true : undefined;
  });
}

it("labels the bake's baseline as blue's traffic in the seconds before the switch, through the ledger", async () => {
  const repo = await repoAtV1(cliRunConfig(BLUE_GREEN));
  await declareIn(repo, 'v2');
  // Bundling the CLI holds this process, and with it the traffic it sends: done before the wait.
  await fromSourceArgs('test/support/run-cli.ts');
  await blueServedFourSeconds();
  const run = await runCli(repo.dir, ['run', 'release'], { SANDBOX_URL: world.sandbox.url });
  expect(run.code, run.stderr).toBe(0);
  const gate = run.stdout.split('\n').find((l) => l.startsWith('  errors (error-rate)'));
  // The bake's last look, 3 or 4 s in: blue's requests over the same seconds before the switch.
  expect(gate).toMatch(/ \d+\.\d+% \([\d,]+ req; v1, the \d+s before the switch\) +≤ 2\.00% +✅ pass/);
  // `run status` reads the ledger file back: the span is stored with the look.
  const status = await runCli(repo.dir, ['run', 'status'], { SANDBOX_URL: world.sandbox.url });
  expect(status.stdout).toMatch(/\([\d,]+ req; v1, the \d+s before the switch\)/);
});
