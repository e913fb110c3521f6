import { formatDuration } from '../config/duration.js';
import type { MetricsConfig, ModelConfig } from '../config/types.js';
import { MetricsError } from '../core/errors.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import type { Bucket } from '../metrics/histogram.js';
import { bucketShares, psi } from '../stats/drift.js';
import { contextFor, type Ports } from './ports.js';

/** One look at a stable model's predictions: recent ones against the window before them. */
export interface DriftReport {
  model: string;
  version: string;
  /** Population stability index, or undefined when there were too few predictions to say. */
  psi?: number;
  drifted: boolean;
  /** The metrics could not be read: this tick saw neither drift nor its absence. */
  inconclusive?: true;
  note: string;
}

const total = (b: Bucket[] | undefined) => b?.at(-1)?.count ?? 0;

/** The drift watch of one model (config `drift-watch`), for `schedule` ticks. */
export async function watchDrift(model: ModelConfig, ports: Ports): Promise<DriftReport | undefined> {
  const watch = model.driftWatch;
  if (!watch) return undefined;
  const ctx = contextFor(model, ports);
  const version = (await ctx.target.read()).stable.version;
  const now = ctx.clock.now();
  const report = (drifted: boolean, note: string, value?: number): DriftReport => ({
    model: model.name,
    version,
    ...(value === undefined ? {} : { psi: value }),
    drifted,
    note: `${model.name} ${version}: ${note}`,
  });
  if (!ctx.metrics.buckets) return report(false, 'the metrics source has no histograms to watch for drift');
  const window = (since: number, until: number) =>
    ctx.metrics.buckets?.(watch.buckets, { model: model.name, slot: 'stable', version, since, until });
  let recent: Bucket[] | undefined;
  let reference: Bucket[] | undefined;
  try {
    recent = await window(now - watch.windowMs, now);
    reference = await window(now - watch.windowMs - watch.referenceMs, now - watch.windowMs);
  } catch (err) {
    // A metrics outage is no verdict on the model: say so, and let the other models' watches run.
    if (!(err instanceof MetricsError)) throw err;
    const why = `drift not checked (inconclusive): the metrics source ${sourceName(model.metrics)} could not answer: ${hideUrlSecrets(err.message)}; the next tick looks again`;
    const outage = report(false, why);
    ports.log.warn(outage.note);
    return { ...outage, inconclusive: true };
  }
  if (total(recent) === 0 || total(reference) === 0 || !recent || !reference) {
    return report(false, 'too few predictions to compare for drift yet');
  }
  const value = psi(bucketShares(reference), bucketShares(recent));
  const span = `the last ${formatDuration(watch.windowMs)} against the ${formatDuration(watch.referenceMs)} before`;
  const drifted = value >= watch.maxPsi;
  const verdict = drifted
    ? `prediction drift, PSI ${value.toFixed(3)} (level ${watch.maxPsi})`
    : `no drift, PSI ${value.toFixed(3)}`;
  return report(drifted, `${verdict}: ${span}`, value);
}

/** `sandbox at http://host:port`, `cloudwatch`: which source a message is about, without secrets. */
function sourceName(metrics: MetricsConfig): string {
  if ('url' in metrics) return `${metrics.type} at ${safeUrl(metrics.url)}`;
  if (metrics.type === 'file') return `file ${metrics.path}`;
  return metrics.type;
}
