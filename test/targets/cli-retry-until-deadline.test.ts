import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import { TargetThrottledError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { vertexTarget } from '../../src/targets/vertex-target.js';
import { VERTEX_RESOURCE, vertexFraudEndpoint, vertexFraudTarget } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { platformError } from '../support/standins/platform-error.js';
import { step } from './drive.js';

// A CLI target retried a throttled or transiently failing call 5 times in all (about 150 s with a
// 10 s poll-interval), then gave up with most of the change's settle-timeout (10m) unused: a
// managed control-plane upgrade or an outage of a few minutes rolled the release back. Such a call
// is now retried until the deadline it already has (the traffic change's; a read on its own:
// settle-timeout from now), its pause doubling from the poll-interval up to a minute, and never
// past the deadline. Shown on Vertex AI (gcloud is the stand-in; time runs on a FakeClock); every
// CLI target shares the loop (platform-cli.ts).

const standins = useStandins('gcloud', vertexFraudEndpoint);

/** A FakeClock that keeps each pause it was asked for, in seconds. */
function pausingClock() {
  const clock = new FakeClock();
  const pauses: number[] = [];
  const sleep = clock.sleep.bind(clock);
  clock.sleep = async (ms: number) => {
    pauses.push(ms / 1000);
    await sleep(ms);
  };
  return { clock, pauses, started: clock.now() };
}

const calls = async (command: string) =>
  (await standins.calls('gcloud')).filter((c) => c.argv[2] === command).length;

describe('a CLI call that keeps failing in passing, with a 10m settle-timeout', () => {
  const config = vertexFraudTarget({ timeoutMs: 10_000, settleTimeoutMs: 600_000, pollIntervalMs: 10_000 });

  it('lands an update once an API down for over 4 minutes answers again, pausing at most a minute', async () => {
    await standins.fault(
      platformError('gcloud', 'update', 'UNAVAILABLE', 'The service is currently unavailable.', 6),
    );
    const { clock, pauses, started } = pausingClock();

    await expect(reconcile(vertexTarget(config, 'fraud', clock), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );

    expect(pauses).toEqual([10, 20, 40, 60, 60, 60]);
    expect(clock.now() - started).toBe(250_000);
    expect(await calls('update')).toBe(7);
    expect((await standins.state()).vertex[VERTEX_RESOURCE].trafficSplit).toEqual({ '1111': 90, '2222': 10 });
  });

  it('retries a read on its own until settle-timeout from its start, the last try on it, then says so', async () => {
    await standins.fault({ cli: 'gcloud', op: 'describe', kind: 'throttle', times: -1 });
    const { clock, pauses, started } = pausingClock();

    const err = await vertexTarget(config, 'fraud', clock)
      .read()
      .catch((e: unknown) => e);

    expect(pauses).toEqual([10, 20, 40, 60, 60, 60, 60, 60, 60, 60, 60, 50]);
    expect(clock.now() - started).toBe(600_000);
    expect(await calls('describe')).toBe(13);
    expect(err).toBeInstanceOf(TargetThrottledError);
    expect((err as Error).message).toMatch(
      /^Vertex AI endpoint 4321 \(us-central1\) kept refusing `gcloud ai endpoints describe 4321 .*` for rate limits after 13 tries, when the target's settle-timeout \(10m\) ran out: .*RESOURCE_EXHAUSTED: .*; try again later, or raise the target's settle-timeout to retry for longer$/,
    );
  });
});

describe('a CLI call that keeps failing in passing, with a poll-interval over a minute', () => {
  it('never pauses less than the poll-interval', async () => {
    const config = vertexFraudTarget({
      timeoutMs: 10_000,
      settleTimeoutMs: 600_000,
      pollIntervalMs: 120_000,
    });
    await standins.fault(
      platformError('gcloud', 'update', 'UNAVAILABLE', 'The service is currently unavailable.'),
    );
    const { clock, pauses, started } = pausingClock();

    const err = await reconcile(vertexTarget(config, 'fraud', clock), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );

    expect(pauses).toEqual([120, 120, 120, 120, 120]);
    expect(clock.now() - started).toBe(600_000);
    expect((err as Error).message).toContain(', still after 6 tries: ');
  });
});
