import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, declareIn, repoAtV1, useCliRunWorld } from '../support/cli-run-world.js';

// SPEC §4: a gate that saw the data without a regression passes at its step's deadline. A healthy
// v2 released by `model-gate run release` passes that way ("✅ pass: no regression found by the
// step's deadline"), and `model-gate analyze` on the log it wrote replayed every such gate as
// `undecided, waiting` (exit 4). The release marks the look its deadline judged (`"deadline": true`),
// and analyze decides it as the release did: passed, exit 0.
vi.setConfig({ testTimeout: 90_000 });
const world = useCliRunWorld();

const GATES = `
      - { name: errors, kind: ratio, events: errors, max-increase: 10% }
      - { name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }`;

it("replays a release passed at its step's deadline as passed, as the run ended", async () => {
  const config = cliRunConfig(
    '{ type: canary, steps: [50], step-duration: 15s, min-requests: 150, interval: 1s }',
  ).replace(/\n {4}gates:\n.*\n$/, `\n    gates:${GATES}\n`);
  const repo = await repoAtV1(config);
  await declareIn(repo, 'v2');
  const run = await runCli(repo.dir, ['run', 'release'], { SANDBOX_URL: world.sandbox.url });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toMatch(/^model-gate: ✅ Ready to merge$/m);

  const folder = join(repo.dir, '.model-gate', 'observations');
  const [name] = readdirSync(folder).filter((f) => f.startsWith(`${CLI_MODEL}-v2-`));
  const file = join(folder, name as string);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // The look the deadline judged, one per gate it passed there, and only that one.
  const marked = lines.filter((l) => l.deadline === true);
  expect(marked.length, `${lines.length} lines, none marked`).toBeGreaterThan(0);
  expect(new Set(marked.map((l) => l.gate)).size).toBe(marked.length);
  for (const l of marked) expect(l).toBe(lines.filter((x) => x.gate === l.gate).at(-1));

  const analyzed = await runCli(repo.dir, ['analyze', file]);
  expect(analyzed.code, analyzed.stdout + analyzed.stderr).toBe(0);
  const summary = analyzed.stdout.slice(analyzed.stdout.indexOf('\nsummary\n'));
  for (const l of marked) expect(summary).toContain(`${l.gate}: pass at the step's deadline, ${l.time}`);
  expect(summary).not.toContain('undecided');
});
