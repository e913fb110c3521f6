/**
 * Simulated instances of one model for rolling releases. An instance that changes version (or
 * is new) is down for the warm-up of the version it now loads, then serves it; requests go
 * round-robin over the healthy ones. Health is derived from timestamps when asked, so there are
 * no timers to cancel and a warm-up ends exactly on time.
 */
import { type ModelArtifact, warmupMsOf } from './model-artifact.js';

interface Instance {
  id: string;
  artifact: ModelArtifact;
  /** When it serves again (clock of the pool). */
  readyAt: number;
}

export interface InstanceView {
  id: string;
  version: string;
  healthy: boolean;
}

export class InstancePool {
  private instances: Instance[];
  private next = 0;

  /** A pool of `count` instances already running `running` (they served before the pool existed). */
  constructor(
    count: number,
    running: ModelArtifact,
    private readonly now: () => number,
  ) {
    this.instances = Array.from({ length: count }, (_, i) => ({
      id: instanceId(i),
      artifact: running,
      readyAt: Number.NEGATIVE_INFINITY,
    }));
  }

  get size(): number {
    return this.instances.length;
  }

  /**
   * Gives instance i the artifact targets[i]. Only the instances whose version changes go down
   * (for that version's warm-up), as do added ones; the others keep serving. Instances beyond
   * the targets are removed.
   */
  reconcile(targets: readonly ModelArtifact[]): void {
    const now = this.now();
    this.instances = targets.map((artifact, i) => {
      const current = this.instances[i];
      if (current && current.artifact.version === artifact.version) return { ...current, artifact };
      return { id: instanceId(i), artifact, readyAt: now + warmupMsOf(artifact) };
    });
  }

  healthyCount(): number {
    const now = this.now();
    return this.instances.filter((i) => i.readyAt <= now).length;
  }

  list(): InstanceView[] {
    const now = this.now();
    return this.instances.map((i) => ({ id: i.id, version: i.artifact.version, healthy: i.readyAt <= now }));
  }

  /** The next healthy instance in round-robin order, with its index; undefined when none is healthy. */
  pick(): { index: number; id: string; artifact: ModelArtifact } | undefined {
    const now = this.now();
    const n = this.instances.length;
    for (let step = 0; step < n; step++) {
      const index = (this.next + step) % n;
      const instance = this.instances[index] as Instance;
      if (instance.readyAt <= now) {
        this.next = (index + 1) % n;
        return { index, id: instance.id, artifact: instance.artifact };
      }
    }
    return undefined;
  }
}

const instanceId = (i: number) => `i${i}`;
