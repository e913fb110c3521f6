import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach, vi } from 'vitest';
import { type FakeAws, installFakeAws } from './metrics-fake-aws.js';

/**
 * The `aws` stand-in (installFakeAws), holding no metrics until a test sets them, installed once
 * for a test file (its temp dir named from `prefix`) and first on PATH during each test; removed
 * after the file's tests. `world.aws` is set by beforeAll.
 */
export function useFakeAws(prefix: string): { aws: FakeAws } {
  const world = { aws: undefined as unknown as FakeAws };
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    world.aws = await installFakeAws(dir, { mode: 'ok', metrics: [] });
  });
  beforeEach(() => {
    vi.stubEnv('PATH', `${world.aws.binDir}${delimiter}${process.env.PATH ?? ''}`);
    vi.stubEnv('FAKE_AWS_STATE', world.aws.env.FAKE_AWS_STATE);
    vi.stubEnv('FAKE_AWS_LOG', world.aws.env.FAKE_AWS_LOG);
    return () => vi.unstubAllEnvs();
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return world;
}

/** The MetricStat Period of the first query in the stand-in's last call: what CloudWatch was asked. */
export async function lastAskedPeriod(aws: FakeAws): Promise<number> {
  const args = (await aws.calls()).at(-1) as string[];
  const [query] = JSON.parse(args[args.indexOf('--metric-data-queries') + 1] as string);
  return query.MetricStat.Period;
}
