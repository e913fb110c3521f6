import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { Target } from '../../src/targets/target.js';

/**
 * An in-memory platform for engine unit tests (the sandbox covers real HTTP elsewhere).
 * It records every write and can be told to misbehave like a real platform does.
 */
export class MemoryTarget implements Target {
  description = 'memory target';
  /** None: known by its description (deployed-target.ts); standIn gives it another's. */
  identity?: Target['identity'];
  writes: TrafficState[] = [];
  /** Silently keep the old state on the next write (a platform that reverted). */
  revertNext = false;
  /** Refuse writes from this index on, as a platform that does not answer. */
  failFromWrite = Number.POSITIVE_INFINITY;

  constructor(public state: TrafficState = { stable: { version: 'v1' } }) {}

  async read(): Promise<TrafficState> {
    return structuredClone(this.state);
  }
  async write(desired: TrafficState): Promise<void> {
    if (this.writes.length >= this.failFromWrite) throw new TargetError('platform unavailable');
    this.writes.push(structuredClone(desired));
    if (this.revertNext) {
      this.revertNext = false;
      return;
    }
    this.state = structuredClone(desired);
  }
  /** Candidate weights in the order they were asked for. */
  weights(): number[] {
    return this.writes.map((w) => w.canary?.weight ?? 0);
  }
}

/**
 * `memory`, known as `real` is (its description and identity): for a test whose engine run drives a
 * memory target in place of the platform that a later step (the post step) drives for real, as the
 * action's main and post steps drive one target.
 */
export function standIn(memory: MemoryTarget, real: Target): MemoryTarget {
  memory.description = real.description;
  memory.identity = real.identity;
  return memory;
}
