import type { Random } from '../core/random.js';
import type { MetricsStore, SeriesKey } from './metrics-store.js';
import { type Inference, inferAfterCompute, type ModelArtifact } from './model-artifact.js';

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
    const { result, latencyMs } = await inferAfterCompute(
      shadow,
      this.random,
      features,
      this.stopping.signal,
    );
    const score = result.outcome === 'error' ? undefined : result.score;
    this.store.record(key, result.outcome, latencyMs, score);
    const compared = compareAnswers(primary, result);
    if (compared) this.store.recordAgreement(key, compared.identical, compared.scoreDiff);
  }
}
