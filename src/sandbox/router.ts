/**
 * One served model (endpoint): which artifact sits in which slot and how requests are split.
 * A deployment is swapped as one object, so a request never sees half of a traffic change.
 */
import type { Random } from '../core/random.js';
import type { TrafficState } from '../core/traffic.js';
import type { Slot } from './metrics-store.js';
import type { ModelArtifact } from './model-artifact.js';

export interface Deployment {
  stable: ModelArtifact;
  canary?: { artifact: ModelArtifact; weight: number };
}

export interface Route {
  slot: Slot;
  artifact: ModelArtifact;
}

export class Endpoint {
  private deployment: Deployment;

  constructor(
    readonly model: string,
    stable: ModelArtifact,
    private readonly random: Random,
  ) {
    this.deployment = { stable };
  }

  /** Number of features the stable model expects; requests are checked against it. */
  get featureCount(): number {
    return this.deployment.stable.weights.length;
  }

  apply(deployment: Deployment): void {
    this.deployment = deployment;
  }

  traffic(): TrafficState {
    const d = this.deployment;
    const state: TrafficState = { stable: { version: d.stable.version } };
    if (d.canary) state.canary = { version: d.canary.artifact.version, weight: d.canary.weight };
    return state;
  }

  /**
   * Picks the slot for one request. With a sticky key (a user id) the same user lands in the same
   * slot for a given weight, and stays in the canary as its weight grows; without one the split
   * is a seeded coin flip per request.
   */
  route(stickyKey?: string): Route {
    const d = this.deployment;
    const canary = d.canary;
    if (!canary || canary.weight <= 0) return { slot: 'stable', artifact: d.stable };
    const point = stickyKey === undefined ? this.random.next() * 100 : stickyPoint(stickyKey);
    return point < canary.weight
      ? { slot: 'canary', artifact: canary.artifact }
      : { slot: 'stable', artifact: d.stable };
  }
}

/** FNV-1a hash of the key, finalised with murmur3's mixer so similar keys spread, mapped onto [0, 100). */
export function stickyPoint(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) / 4294967296) * 100;
}
