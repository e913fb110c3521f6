import { expect, it } from 'vitest';
import { FakeClock } from '../../src/core/clock.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { ReleaseContext } from '../../src/release/context.js';
import { newRelease } from '../../src/release/new-release.js';
import { tick } from '../../src/release/tick.js';
import { MemoryTarget } from '../support/memory-target.js';
import { canaryModel, thresholdGate } from '../support/model-config.js';

// A look that fails on a defect in model-gate (a raw SyntaxError, TypeError, ...) rather than on
// the metrics backend used to stop the run with the candidate's live traffic left on: a schedule
// tick stopped there every time. It is an error look now, and the gate ends the release at its
// consecutive-error-limit with the candidate withdrawn.

it('ends a release whose looks fail on a defect, withdrawing the candidate and saying why', async () => {
  const clock = new FakeClock();
  const target = new MemoryTarget();
  const metrics: MetricSource = {
    value: async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'le')");
    },
    requests: async () => 1000,
  };
  const model = canaryModel({
    gates: [thresholdGate({ name: 'p99', query: 'p99', max: 0.5, consecutiveErrorLimit: 2 })],
  });
  const ctx: ReleaseContext = { config: model, target, metrics, clock };
  let r = newRelease(model, { from: 'v1', to: 'v2', now: clock.now() });
  for (let i = 0; i < 20 && r.status === 'analysing'; i++) {
    r = await tick(r, ctx);
    if (r.status === 'analysing') await clock.sleep(model.strategy.intervalMs);
  }
  expect(r.status).toBe('failed');
  expect(r.reason).toBe(
    "p99: metrics failed 3 times in a row (model-gate could not take this look (TypeError: Cannot read properties of undefined (reading 'le')); a defect in model-gate, please report it)",
  );
  // Deployed at the first phase, withdrawn at the end.
  expect(target.writes.map((w) => w.canary?.weight)).toEqual([10, undefined]);
  expect(target.state).toEqual({ stable: { version: 'v1' } });
});
