import type { ModelConfig } from '../../src/config/types.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { MetricSource } from '../../src/metrics/source.js';
import type { Target } from '../../src/targets/target.js';

type Adapters = typeof import('../../src/release/adapters.js');

/** The defect planted in a traffic change: what a bug in model-gate throws (no error class it knows). */
export const WRITE_DEFECT = "Cannot read properties of undefined (reading 'weight')";

/**
 * The adapters module `real`, each target it makes throwing WRITE_DEFECT (a TypeError) from a traffic
 * change whenever `meets()` says that change meets the defect; the real target otherwise. For a
 * `vi.mock('…/src/release/adapters.js')` factory, so the defect reaches steps run from src/ in this
 * process. Only types are imported here: the factory can import this file while adapters.js loads.
 */
export function plantWriteDefect(real: Adapters, meets: () => boolean): Adapters {
  return {
    ...real,
    targetFor: (model: ModelConfig): Target => {
      const target = real.targetFor(model);
      return Object.create(target, {
        write: {
          value: async (desired: TrafficState) => {
            if (meets()) throw new TypeError(WRITE_DEFECT);
            await target.write(desired);
          },
        },
      });
    },
  };
}

/**
 * The adapters module `real`, each metric source it makes throwing a plain Error saying `message` (what
 * a bug in model-gate throws) from every query while `meets()`; the real source otherwise. For a
 * `vi.mock('…/src/release/adapters.js')` factory, as plantWriteDefect.
 */
export function plantMetricsDefect(real: Adapters, message: string, meets: () => boolean): Adapters {
  const fail = async (): Promise<never> => {
    throw new Error(message);
  };
  const broken: MetricSource = { requests: fail, value: fail };
  return { ...real, metricsFor: (model: ModelConfig) => (meets() ? broken : real.metricsFor(model)) };
}
