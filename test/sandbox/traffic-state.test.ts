import { describe, expect, it } from 'vitest';
import { describeTraffic, sameTraffic, stableOnly, type TrafficState } from '../../src/core/traffic.js';

const v1 = stableOnly('v1');
const canary = (weight: number, version = 'v2'): TrafficState => ({ ...v1, canary: { version, weight } });

describe('sameTraffic', () => {
  it.each<[string, TrafficState, TrafficState, boolean]>([
    ['identical stable-only states', v1, stableOnly('v1'), true],
    ['another stable version', v1, stableOnly('v2'), false],
    ['a weight-0 canary and none', canary(0), v1, true],
    ['equal canaries', canary(20), canary(20), true],
    ['canary weights that differ', canary(20), canary(25), false],
    ['a share-0 mirror and none', { ...v1, mirror: { version: 'v2', share: 0 } }, v1, true],
    ['a mirror and none', { ...v1, mirror: { version: 'v2', share: 20 } }, v1, false],
    [
      'mirrors of other versions',
      { ...v1, mirror: { version: 'v2', share: 20 } },
      { ...v1, mirror: { version: 'v3', share: 20 } },
      false,
    ],
    ['sticky while no canary takes traffic', { ...v1, sticky: { header: 'x-user-id' } }, v1, true],
    [
      'sticky and not, with a live canary',
      { ...canary(30), sticky: { header: 'x-user-id' } },
      canary(30),
      false,
    ],
    [
      'sticky header names differing in case only',
      { ...canary(30), sticky: { header: 'X-User-Id' } },
      { ...canary(30), sticky: { header: 'x-user-id' } },
      true,
    ],
    [
      'sticky by other headers',
      { ...canary(30), sticky: { header: 'x-account' } },
      { ...canary(30), sticky: { header: 'x-user-id' } },
      false,
    ],
    [
      'a rolling pool with nothing replaced and none',
      { ...v1, rolling: { version: 'v2', instances: 8, replaced: 0 } },
      v1,
      true,
    ],
    [
      'rolling pools replaced to different depths',
      { ...v1, rolling: { version: 'v2', instances: 8, replaced: 2 } },
      { ...v1, rolling: { version: 'v2', instances: 8, replaced: 4 } },
      false,
    ],
    [
      'equal rolling pools',
      { ...v1, rolling: { version: 'v2', instances: 8, replaced: 2 } },
      { ...v1, rolling: { version: 'v2', instances: 8, replaced: 2 } },
      true,
    ],
  ])('%s: %j vs %j -> %s', (_, a, b, expected) => {
    expect(sameTraffic(a, b)).toBe(expected);
    expect(sameTraffic(b, a)).toBe(expected);
  });
});

describe('describeTraffic', () => {
  it.each<[TrafficState, string]>([
    [v1, 'v1 100%'],
    [canary(0), 'v1 100%'],
    [canary(12.5), 'v1 87.5% / v2 12.5%'],
    [{ ...v1, mirror: { version: 'v2', share: 20 } }, 'v1 100% (+ mirror 20% to v2)'],
    [{ ...canary(50), sticky: { header: 'x-user-id' } }, 'v1 50% / v2 50% (sticky by x-user-id)'],
    [{ ...v1, rolling: { version: 'v2', instances: 8, replaced: 2 } }, 'v1 6/8 instances, v2 2/8'],
    [{ ...v1, rolling: { version: 'v2', instances: 8, replaced: 0 } }, 'v1 100%'],
    [
      { ...canary(10, 'v4'), sticky: { header: 'x-user-id' }, mirror: { version: 'v3', share: 5 } },
      'v1 90% / v4 10% (sticky by x-user-id) (+ mirror 5% to v3)',
    ],
  ])('%j reads "%s"', (state, text) => {
    expect(describeTraffic(state)).toBe(text);
  });
});
