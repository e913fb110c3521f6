/**
 * A metrics source that starts refusing model-gate's credentials mid-release (a token revoked or
 * expired, a key rotated: HTTP 401/403, CloudWatch's AccessDenied) would otherwise be one more
 * query error: the candidate kept its live traffic, unwatched, until consecutive-error-limit ran
 * out (2.5 minutes at the defaults, and with a schedule every tick) or a step's deadline judged it
 * (a step passed on the look before the refusal; must-have-data: false passed it on nothing). A
 * refusal does not pass by itself, so the rule is the pre-flight's (metrics-preflight.ts): the
 * refused read is made again, TRIES times in all, PAUSE_MS apart; refused every time, the gate
 * that read it fails at once, and the release rolls back saying what to fix. One refused answer (a
 * proxy's blip) that the next try gets past is no error at all.
 */
import type { Clock } from '../core/clock.js';
import { RefusedCredentialsError } from '../metrics/refused-credentials.js';
import type { MetricSource } from '../metrics/source.js';
import { PAUSE_MS, TRIES } from './metrics-preflight.js';
import type { GateState } from './types.js';

export interface RefusalWatch {
  /** The source the gates read through this tick. */
  metrics: MetricSource;
  /** Fail `gate` where a read of its look was refused on every try; `gate` as it is otherwise. */
  judge(gate: GateState, source: string, candidate: string): GateState;
}

export function watchRefusals(inner: MetricSource, clock: Clock): RefusalWatch {
  // Once a refusal persisted, the tick's other reads are not tried again: their gates end with it.
  let persisted = false;
  let refused: RefusedCredentialsError | undefined;
  async function read<T>(run: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await run();
      } catch (err) {
        if (!(err instanceof RefusedCredentialsError)) throw err;
        if (persisted || tries >= TRIES) {
          persisted = true;
          refused = err;
          throw err;
        }
      }
      await clock.sleep(PAUSE_MS);
    }
  }
  const { count, buckets, quantileBounds, droppedCopies } = inner;
  const metrics: MetricSource = {
    value: (q, w) => read(() => inner.value(q, w)),
    requests: (w) => read(() => inner.requests(w)),
    ...(count ? { count: (q, w) => read(() => count.call(inner, q, w)) } : {}),
    ...(buckets ? { buckets: (q, w) => read(() => buckets.call(inner, q, w)) } : {}),
    ...(quantileBounds ? { quantileBounds: (q, w) => read(() => quantileBounds.call(inner, q, w)) } : {}),
    ...(droppedCopies ? { droppedCopies: (w) => read(() => droppedCopies.call(inner, w)) } : {}),
  };
  return {
    metrics,
    judge(gate, source, candidate) {
      const seen = refused;
      refused = undefined;
      // A look that got past the refusal (a gate that read nothing more after it) stands.
      if (!seen || gate.verdict === 'fail' || gate.last?.verdict !== 'error') return gate;
      const tried = `${TRIES} times ${PAUSE_MS / 1000} s apart`;
      // CloudWatch's credentials are the job's own (its aws CLI's), not the config's.
      const fix =
        source === 'cloudwatch'
          ? "renew the AWS credentials the job's aws CLI uses"
          : "fix the token or key in the config's metrics section";
      return {
        ...gate,
        verdict: 'fail',
        reason: `${gate.name}: the metrics source (${source}) refused model-gate's credentials (${seen.refused}) ${tried}, so no gate could watch ${candidate}; ${fix}: ${seen.message}`,
      };
    },
  };
}
