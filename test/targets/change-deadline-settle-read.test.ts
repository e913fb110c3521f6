import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { changesWithin, passingReadFailures, settleAccepted } from '../../src/targets/change-deadline.js';
import { TargetAccessError } from '../../src/targets/errors.js';

// The one place a read that fails after the platform took a change is kept (http, SageMaker and
// KServe each had their own copy): the write succeeds, and its read-back takes the wait up again
// while the change has time left, else fails with the last such read's error. The platform is a
// script of read answers; time runs on a FakeClock, a settle-timeout of 10m.

const V1: TrafficState = { stable: { version: 'v1' } };
const TEN_MINUTES = 600_000;

/**
 * A platform that takes every change, then answers the reads of the wait after it (and the
 * read-back) from `script`: an error thrown, else the change has landed.
 */
function platform(script: (TargetError | 'landed')[]) {
  const clock = new FakeClock();
  const reads = passingReadFailures();
  let made = 0;
  const look = async () => {
    made++;
    const next = script.shift() ?? 'landed';
    if (next !== 'landed') reads.mark(next);
  };
  const target = changesWithin(
    TEN_MINUTES,
    clock,
    async () => settleAccepted(look, reads.has),
    async () => {
      await look();
      return V1;
    },
  );
  return { clock, target, reads: () => made };
}

const down = (n: number) => new TargetError(`GET /traffic failed: connection refused (${n})`);

describe('a change the platform took, a read of the wait after it failing and may pass', () => {
  it('is taken by the write; its read-back waits again, then reads what serves', async () => {
    const { target, reads } = platform([down(1), 'landed', 'landed']);
    const readBack = await target.write(V1);
    expect(reads()).toBe(1);
    await expect(readBack({ stable: 'v1' })).resolves.toEqual(V1);
    expect(reads()).toBe(3); // the wait taken up again, then the read-back's own read
  });

  it('fails the read-back with the last such read, which waits again on a later try', async () => {
    const { target, reads } = platform([down(1), down(2), 'landed', 'landed']);
    const readBack = await target.write(V1);
    await expect(readBack({ stable: 'v1' })).rejects.toThrow('connection refused (2)');
    await expect(readBack({ stable: 'v1' })).resolves.toEqual(V1);
    expect(reads()).toBe(4);
  });

  it('at the change’s deadline fails with that read, reading nothing more', async () => {
    const { clock, target, reads } = platform([down(1)]);
    const readBack = await target.write(V1);
    clock.advance(TEN_MINUTES);
    await expect(readBack({ stable: 'v1' })).rejects.toThrow('connection refused (1)');
    expect(reads()).toBe(1);
  });
});

describe('a change the platform took, a read of the wait after it refused for good', () => {
  it('fails the write itself, as that refusal', async () => {
    const denied = new TargetAccessError('GET /traffic refused (HTTP 403): check the credentials');
    const { target } = platform([denied]);
    await expect(target.write(V1)).rejects.toBe(denied);
  });
});
