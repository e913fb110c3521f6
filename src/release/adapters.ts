import type { ModelConfig } from '../config/types.js';
import { sandboxSource } from '../metrics/sandbox-source.js';
import type { MetricSource } from '../metrics/source.js';
import { sandboxTarget } from '../targets/sandbox-target.js';
import type { Target } from '../targets/target.js';

/** The factory from configuration to adapter: one case per target type. */
export function targetFor(model: ModelConfig): Target {
  switch (model.target.type) {
    case 'sandbox':
      return sandboxTarget(model.target, model.name);
  }
}

/** The factory from configuration to adapter: one case per metric source type. */
export function metricsFor(model: ModelConfig): MetricSource {
  switch (model.metrics.type) {
    case 'sandbox':
      return sandboxSource(model.metrics);
  }
}
