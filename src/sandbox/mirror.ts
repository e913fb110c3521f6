/**
 * Shadow traffic: a copy of an answered request runs on the mirrored version in the background.
 * Callers never wait for it and never see it: it starts after their response is sent, its
 * failures end up in the shadow slot's metrics only, and when too many copies are already in
 * flight (a slow shadow) new ones are dropped and counted rather than queued without bound.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { Random } from '../core/random.js';
import type { MetricsStore, SeriesKey } from './metrics-store.js';
import { computeTimeMs, type Inference, infer, type ModelArtifact } from './model-artifact.js';

/** Default bound on shadow copies in flight per model. */
export const MIRROR_MAX_IN_FLIGHT = 64;

/**
 * How a shadow answer compares with the primary one. A failed shadow answer is a disagreement
 * (with no score to diff): left out, a candidate failing on half its inputs showed 100% agreement
 * on the other half and passed an agreement gate. Undefined only when the primary failed: there
 * is no answer to agree with.
 */
export function compareAnswers(
  primary: Inference,
  shadow: Inference,
): { identical: boolean; scoreDiff: number | undefined } | undefined {
  if (primary.outcome === 'error') return undefined;
  if (shadow.outcome === 'error') return { identical: false, scoreDiff: undefined };
  return {
    identical: primary.prediction === shadow.prediction,
    scoreDiff: Math.abs(shadow.score - primary.score),
  };
}

export class Mirror {
  /** model -> copies running. */
  private readonly running = new Map<string, number>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: MetricsStore,
    /** Shadow compute times, a stream of their own so callers' simulated latencies do not shift. */
    private readonly random: Random,
    readonly maxInFlight: number = MIRROR_MAX_IN_FLIGHT,
  ) {}

  inFlight(model: string): number {
    return this.running.get(model) ?? 0;
  }

  /** Runs a copy of one answered request on `shadow`, in the background. Never throws. */
  copy(model: string, shadow: ModelArtifact, features: readonly number[], primary: Inference): void {
    const key: SeriesKey = { model, slot: 'shadow', version: shadow.version };
    const running = this.inFlight(model);
    if (running >= this.maxInFlight || this.stopping.signal.aborted) {
      this.store.recordDrop(key);
      return;
    }
    this.running.set(model, running + 1);
    this.run(key, shadow, features, primary)
      .catch(() => {}) // aborted by close(), or a failing shadow: never the caller's concern
      .finally(() => this.running.set(model, this.inFlight(model) - 1));
  }

  /** Cancels the copies still computing, so closing the sandbox does not wait for them. */
  close(): void {
    this.stopping.abort();
  }

  private async run(
    key: SeriesKey,
    shadow: ModelArtifact,
    features: readonly number[],
    primary: Inference,
  ): Promise<void> {
    const started = performance.now();
    await delay(computeTimeMs(shadow, this.random), undefined, { signal: this.stopping.signal });
    const result = infer(shadow, features);
    const score = result.outcome === 'error' ? undefined : result.score;
    this.store.record(key, result.outcome, performance.now() - started, score);
    const compared = compareAnswers(primary, result);
    if (compared) this.store.recordAgreement(key, compared.identical, compared.scoreDiff);
  }
}
