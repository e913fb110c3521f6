import type { ModelConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { cloudwatchSource } from '../metrics/cloudwatch-source.js';
import { datadogSource } from '../metrics/datadog-source.js';
import { fileSource } from '../metrics/file-source.js';
import { httpJsonSource } from '../metrics/http-json-source.js';
import { prometheusSource } from '../metrics/prometheus-source.js';
import { sandboxSource } from '../metrics/sandbox-source.js';
import type { MetricSource } from '../metrics/source.js';
import { azuremlTarget } from '../targets/azureml-target.js';
import { commandTarget } from '../targets/command-target.js';
import { httpTarget } from '../targets/http-target.js';
import { kserveTarget } from '../targets/kserve-target.js';
import { sagemakerTarget } from '../targets/sagemaker-target.js';
import { sandboxTarget } from '../targets/sandbox-target.js';
import { seldonTarget } from '../targets/seldon-target.js';
import type { Target, TargetLog } from '../targets/target.js';
import { vertexTarget } from '../targets/vertex-target.js';

/**
 * The factory from configuration to adapter: one case per target type. `log`: where a target says
 * what it did that the user did not ask for (a SageMaker shadow leaving idle variants out).
 */
export function targetFor(model: ModelConfig, log?: TargetLog): Target {
  const target = model.target;
  switch (target.type) {
    case 'sandbox':
      return sandboxTarget(target, model.name);
    case 'kserve':
      return kserveTarget(target, model.name);
    case 'sagemaker':
      return sagemakerTarget(target, model.name, undefined, log);
    case 'azureml':
      return azuremlTarget(target, model.name);
    case 'vertex':
      return vertexTarget(target, model.name);
    case 'seldon':
      return seldonTarget(target, model.name);
    case 'http':
      return httpTarget(target, model);
    case 'command':
      return commandTarget(target, model.name);
  }
}

/**
 * The factory from configuration to adapter: one case per metric source type. `log`: where a
 * source says what is wrong with a query that still answered (Prometheus' PromQL annotations).
 * `clock`: now, for a source whose answer depends on how old a window is then (CloudWatch).
 */
export function metricsFor(model: ModelConfig, log?: TargetLog, clock: Clock = systemClock): MetricSource {
  const metrics = model.metrics;
  switch (metrics.type) {
    case 'sandbox':
      return sandboxSource(metrics);
    case 'prometheus':
      return prometheusSource(metrics, log);
    case 'datadog':
      return datadogSource(metrics);
    case 'cloudwatch':
      return cloudwatchSource(metrics, {}, clock);
    case 'http-json':
      return httpJsonSource(metrics);
    case 'file':
      // Relative to the working directory: the repository root in the action and the CLI.
      return fileSource(metrics);
  }
}
