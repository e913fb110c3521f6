import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from './cli-process.js';
import { CLI_MODEL, cliRunConfig, declareIn, repoAtV1, type useCliRunWorld } from './cli-run-world.js';

/** A gate's last look as the ledger records it. */
export interface RecordedLook {
  at: number;
  verdict: string;
  evidence?: { effect?: number; eValue?: number };
}

/**
 * `model-gate run release` of v3 (12% errors on the sandbox) under `gates` (YAML lines of the
 * model's gates), rolled back: its ledger's release, the observation log it wrote (one file per
 * release, named by its model, version and start) and that log's lines.
 */
export async function failedReleaseLog(world: ReturnType<typeof useCliRunWorld>, gates: string) {
  const config = cliRunConfig(
    '{ type: canary, steps: [10, 50], step-duration: 40s, min-requests: 150, interval: 1s }',
  ).replace(/\n {4}gates:\n.*\n$/, `\n    gates:${gates}\n`);
  const repo = await repoAtV1(config);
  await declareIn(repo, 'v3');
  const run = await runCli(repo.dir, ['run', 'release'], { SANDBOX_URL: world.sandbox.url });
  expect(run.code, run.stdout + run.stderr).toBe(1);
  expect(run.stdout).toContain('rolled back');

  const ledger = JSON.parse(readFileSync(join(repo.dir, '.model-gate', 'ledger.json'), 'utf8'));
  const release = ledger.releases[CLI_MODEL];
  const gate = (name: string) => release.gates.find((g: { name: string }) => g.name === name);
  const started = new Date(release.startedAt).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const file = join(repo.dir, '.model-gate', 'observations', `${CLI_MODEL}-v3-${started}.jsonl`);
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { repo, release, gate, file, lines };
}
