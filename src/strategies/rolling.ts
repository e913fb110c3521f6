import type { RollingStrategyConfig } from '../config/types.js';
import { onlyCandidate, type Phase, phaseKind, type Strategy } from './strategy.js';

const batchName = (batch: number, batches: number, replaced: number, instances: number) =>
  `batch ${batch} of ${batches} (${replaced}/${instances} instances)`;

/**
 * Whether a phase (as a release records it) is a rolling batch: a report, which has the record and
 * not the config, tells by it that a ready candidate still runs on every instance (no idle state).
 */
export const isRollingBatch = (name: string): boolean => phaseKind(name) === phaseKind(batchName(1, 1, 1, 1));

/** Rolling: `batch-size` more instances run the candidate at each step; gates decide between batches. */
export function rollingStrategy(config: RollingStrategyConfig): Strategy {
  const { instances, batchSize } = config;
  const batches = Math.ceil(instances / batchSize);
  const phases: Phase[] = Array.from({ length: batches }, (_, i) => {
    const replaced = Math.min(instances, (i + 1) * batchSize);
    return {
      name: batchName(i + 1, batches, replaced, instances),
      weight: Math.round((replaced / instances) * 10_000) / 100,
      candidateSlot: 'canary',
      traffic: (stable, candidate) => ({
        stable: { version: stable },
        rolling: { version: candidate, instances, replaced },
      }),
    };
  });
  return {
    phases,
    // A finished rollout stays rolled out until the PR merges: taking every instance back at
    // once would break min-available, and a rolling update has no "deployed but idle" state.
    idleNote: 'it stays on every instance',
    idle: (stable, candidate) => ({
      stable: { version: stable },
      rolling: { version: candidate, instances, replaced: instances },
    }),
    promoted: onlyCandidate,
  };
}
