import { formatDuration } from '../config/duration.js';
import type { ModelConfig } from '../config/types.js';
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
  const recent = await window(now - watch.windowMs, now);
  const reference = await window(now - watch.windowMs - watch.referenceMs, now - watch.windowMs);
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
