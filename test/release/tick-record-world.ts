import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { Ports } from '../../src/release/ports.js';
import type { PullRequestEvent } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { fraudOn, sha } from '../support/model-config.js';
import { gitHub502 } from '../support/race-world.js';

// A release of `fraud` (v1 → v2, PR #7) on a platform and a ledger that fail the way real ones do:
// a traffic change that half applies and then times out, and GitHub refusing to save a record.

/** A platform whose changes `fault` may half apply (a state: applied, then a time-out), or refuse ('throw'). */
export class FaultTarget implements Target {
  readonly description = 'fault target';
  fault?: (desired: TrafficState) => TrafficState | 'throw' | undefined;
  constructor(public state: TrafficState = { stable: { version: 'v1' } }) {}
  async read(): Promise<TrafficState> {
    return structuredClone(this.state);
  }
  async write(desired: TrafficState): Promise<void> {
    const fault = this.fault?.(desired);
    if (fault === 'throw') throw new TargetError('platform refused the change (500)');
    if (fault) {
      this.state = structuredClone(fault);
      throw new TargetError('platform timed out half-way through the change');
    }
    this.state = structuredClone(desired);
  }
}

/** GitHub's answer to a save it refused, as the GitHub client throws it. */

/** A file ledger (its methods closures) whose saves GitHub refuses while `refuse` says so of the release saved. */
export function refusingLedger(inner: Ledger) {
  const ctl = { refuse: (_release: Release) => false };
  const ledger: Ledger = {
    ...inner,
    async saveRelease(r) {
      if (ctl.refuse(r)) throw gitHub502();
      return inner.saveRelease(r);
    },
  };
  return { ledger, ctl };
}

/**
 * fraud moving v1 → v2 under `strategy` (a YAML flow map), judged by `gates` (YAML flow maps), on
 * `target` (a YAML flow map; the ports' target is a FaultTarget whatever it says).
 */
export async function recordWorld(
  strategy: string,
  gates: string[],
  metrics: MetricSource,
  target = '{ type: sandbox, url: "http://127.0.0.1:1" }',
) {
  const { config } = fraudOn(target, { strategy, gates });
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-record-')), 'ledger.json');
  const { ledger, ctl } = refusingLedger(fileLedger(path));
  const platform = new FaultTarget();
  const clock = new FakeClock();
  const warnings: string[] = [];
  const ports: Ports = {
    ledger,
    reader: memoryFileReader({
      [sha(1)]: { 'fraud.yaml': 'version: v1\n' },
      [sha(2)]: { 'fraud.yaml': 'version: v2\n' },
    }),
    clock,
    log: { info: () => {}, warn: (m) => warnings.push(m) },
    targetFor: (): Target => platform,
    metricsFor: () => metrics,
  };
  const event = (action = 'opened', merged = false): PullRequestEvent => ({
    action,
    number: 7,
    baseSha: sha(1),
    headSha: sha(2),
    merged,
  });
  return { config, ledger, ctl, target: platform, clock, ports, warnings, event };
}
