import { describe, expect, it } from 'vitest';
import { InstancePool } from '../../src/sandbox/instance-pool.js';
import type { ModelArtifact } from '../../src/sandbox/model-artifact.js';

const artifact = (version: string, warmupMs?: number): ModelArtifact => ({
  version,
  weights: [1],
  bias: 0,
  threshold: 0.5,
  latencyMs: { median: 1, sigma: 0 },
  ...(warmupMs === undefined ? {} : { warmupMs }),
});
const v1 = artifact('v1', 100);
const v2 = artifact('v2', 250);

describe('InstancePool', () => {
  it('takes down only the instances that change version, for the new version’s warm-up', () => {
    let now = 1000;
    const pool = new InstancePool(4, v1, () => now);
    expect(pool.healthyCount()).toBe(4);
    pool.reconcile([v2, v2, v1, v1]);
    expect(pool.list()).toEqual([
      { id: 'i0', version: 'v2', healthy: false },
      { id: 'i1', version: 'v2', healthy: false },
      { id: 'i2', version: 'v1', healthy: true },
      { id: 'i3', version: 'v1', healthy: true },
    ]);
    now = 1249;
    expect(pool.healthyCount()).toBe(2);
    now = 1250;
    expect(pool.healthyCount()).toBe(4);
    // Reconciling to the same targets changes nothing.
    pool.reconcile([v2, v2, v1, v1]);
    expect(pool.healthyCount()).toBe(4);
  });

  it('goes round-robin over the healthy instances only, and has none to give while all warm up', () => {
    let now = 0;
    const pool = new InstancePool(3, v1, () => now);
    pool.reconcile([v2, v1, v1]);
    const picks = Array.from({ length: 6 }, () => pool.pick()?.id);
    expect(picks).toEqual(['i1', 'i2', 'i1', 'i2', 'i1', 'i2']);
    pool.reconcile([v2, v2, v2]);
    expect(pool.pick()).toBeUndefined();
    now = 250;
    expect(Array.from({ length: 3 }, () => pool.pick()?.artifact.version)).toEqual(['v2', 'v2', 'v2']);
  });

  it('adds new instances warming up, removes extra ones, and defaults the warm-up to 300 ms', () => {
    let now = 0;
    const plain = artifact('v1');
    const pool = new InstancePool(2, plain, () => now);
    pool.reconcile([plain, plain, plain]);
    expect(pool.list().map((i) => i.healthy)).toEqual([true, true, false]);
    now = 300;
    expect(pool.healthyCount()).toBe(3);
    pool.reconcile([plain]);
    expect(pool.size).toBe(1);
  });
});
