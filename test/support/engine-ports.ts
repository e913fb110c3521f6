import type { Clock } from '../../src/core/clock.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import type { Ports } from '../../src/release/ports.js';
import type { Target } from '../../src/targets/target.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { ScriptedMetrics } from './scripted-metrics.js';

/** The engine's ports for one job of a test: version files from memory, one target, a healthy candidate. */
export function enginePorts(opts: {
  ledger: Ledger;
  files: Record<string, Record<string, string>>;
  clock: Clock;
  target: Target;
  warn?: (message: string) => void;
}): Ports {
  return {
    ledger: opts.ledger,
    reader: memoryFileReader(opts.files),
    clock: opts.clock,
    log: { info: () => {}, warn: opts.warn ?? (() => {}) },
    targetFor: () => opts.target,
    metricsFor: () =>
      new ScriptedMetrics({
        stable: { rps: 90, values: { 'error-rate': 0.005 } },
        canary: { rps: 20, values: { 'error-rate': 0.005 } },
      }),
  };
}
