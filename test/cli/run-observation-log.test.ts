import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, declareIn, repoAtV1, useCliRunWorld } from '../support/cli-run-world.js';

// SPEC §4: `model-gate analyze` re-checks a release's decision after the fact, on the observation log
// the release wrote. `model-gate run release` of v3 (12% errors on the sandbox) keeps one beside its
// ledger, and analyze reads it as written: the failing gate fails at the look the release failed on,
// on the same evidence.
vi.setConfig({ testTimeout: 90_000 });
const world = useCliRunWorld();

const GATES = `
      - { name: errors, kind: ratio, events: errors, max-increase: 10% }
      - { name: p95, kind: latency, buckets: latency, quantile: 0.95, max-increase: 10% }
      - { name: split, kind: srm }`;
const config = cliRunConfig(
  '{ type: canary, steps: [10, 50], step-duration: 40s, min-requests: 150, interval: 1s }',
).replace(/\n {4}gates:\n.*\n$/, `\n    gates:${GATES}\n`);

interface Look {
  at: number;
  verdict: string;
  evidence?: { effect?: number; eValue?: number };
}

it("writes every judged look of a release to a log that analyze replays to the release's decision", async () => {
  const repo = await repoAtV1(config);
  await declareIn(repo, 'v3');
  const run = await runCli(repo.dir, ['run', 'release'], { SANDBOX_URL: world.sandbox.url });
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain('rolled back');

  const ledger = JSON.parse(readFileSync(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
  const release = ledger.releases[CLI_MODEL];
  const recorded = release.gates.find((g: { name: string }) => g.name === 'errors').last as Look;
  expect(recorded.verdict).toBe('fail');

  // One file per release, named by its model, version and start.
  const started = new Date(release.startedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const file = join(repo.dir, '.model-gate', 'observations', `${CLI_MODEL}-v3-${started}.jsonl`);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // Each gate's looks, in the step they were taken in, at its configured split; no query in them.
  expect(new Set(lines.map((l) => l.gate))).toEqual(new Set(['errors', 'p95', 'split']));
  for (const line of lines) expect(line).toMatchObject({ step: 'step 1 of 2', split: 0.1 });
  expect(readFileSync(file, 'utf8')).not.toContain('error-rate');

  const analyzed = await runCli(repo.dir, ['analyze', file, '--json']);
  expect(analyzed.code, analyzed.stderr).toBe(1);
  const report = JSON.parse(analyzed.stdout);
  const errors = report.gates.find((g: { gate: string }) => g.gate === 'errors');
  // The release's split of alpha: three gates of one model.
  expect(errors.alpha).toBeCloseTo(0.05 / 3, 12);
  expect(errors.decided.verdict).toBe('fail');
  expect(Date.parse(errors.decided.time)).toBe(recorded.at);
  const look = errors.looks.find((l: { line: number }) => l.line === errors.decided.line);
  expect(look.evidence.effect).toBe(recorded.evidence?.effect);
  expect(Number(look.evidence.eValue)).toBe(recorded.evidence?.eValue ?? Number.POSITIVE_INFINITY);
});
