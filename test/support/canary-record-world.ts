import { handlePullRequest } from '../../src/release/pull-request.js';
import { recordWorld } from '../release/tick-record-world.js';
import { passingErrorRate } from './scripted-metrics.js';

/** recordWorld's fraud v1 → v2 by a canary (10%, then 50%) on `target` (a YAML flow map), its error rate passing its gate. */
export const passingCanaryRecordWorld = (target: string) =>
  recordWorld(
    '{ type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }',
    ['{ name: errors, kind: threshold, query: error-rate, max: 0.02 }'],
    passingErrorRate(),
    target,
  );

type RecordWorld = Awaited<ReturnType<typeof passingCanaryRecordWorld>>;

/** One tick-mode job (a minute of waits at most) for the world's PR, or for `event`. */
export const tickJob = (w: RecordWorld, event = w.event()) =>
  handlePullRequest(w.config, event, w.ports, { mode: 'tick', maxWaitMs: 60_000, dryRun: false });
