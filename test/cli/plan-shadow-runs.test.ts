import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { shadowLength } from '../../src/release/plan.js';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// An A/B's plan says how long it runs; a shadow's said only "mirrored copies of live requests",
// though its phase lasts its duration whatever its gates do, and step-duration at most.
const config = (strategy: string) => `version: 1
defaults:
  target: { type: sandbox, url: "\${SANDBOX_URL}" }
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  ranker:
    source: { file: models/ranker/model.yaml, key: version }
    strategy: ${strategy}
    gates: []
`;

const shadowOf = (strategy: string) => {
  const s = parseConfig(config(strategy), { SANDBOX_URL: 'http://127.0.0.1:9' }).config.models.ranker
    ?.strategy;
  if (s?.type !== 'shadow') throw new Error('not a shadow');
  return s;
};

describe('model-gate plan of a shadow', () => {
  it('says how long it runs: its duration at least, its gates up to step-duration', async () => {
    const repo = await GitRepo.create();
    const strategy = '{ type: shadow, share: 50, duration: 5s, step-duration: 30s, interval: 1s }';
    await repo.commit({
      '.github/model-gate.yml': config(strategy),
      'models/ranker/model.yaml': 'version: 1\n',
    });
    await writeFile(join(repo.dir, 'models/ranker/model.yaml'), 'version: 2\n');
    const env = { SANDBOX_URL: 'http://127.0.0.1:9' };
    const run = await runCli(repo.dir, ['plan'], env);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').slice(1)).toEqual([
      'ranker 1 → 2: shadow on sandbox',
      '  1. shadow 50% of requests: mirrored copies of live requests, no live traffic',
      '  runs: at least 5s (duration), until its gates pass, at most 30s (step-duration)',
      '',
    ]);
    const json = JSON.parse((await runCli(repo.dir, ['plan', '--json'], env)).stdout);
    expect(json.models[0].runs).toBe(
      'at least 5s (duration), until its gates pass, at most 30s (step-duration)',
    );
  });

  it('runs its duration when that is longer, and says a 3-day shadow needs schedule ticks', () => {
    expect(shadowLength(shadowOf('{ type: shadow, share: 10, duration: 30m, step-duration: 10m }'))).toBe(
      '30m (duration)',
    );
    expect(shadowLength(shadowOf('{ type: shadow, share: 10, duration: 3d, interval: 10m }'))).toBe(
      "3d (duration); longer than a job's max-wait (5h by default), so drive it with schedule ticks (command: tick)",
    );
  });
});
