/**
 * One served model (endpoint): which artifact sits in which slot and how requests are split.
 * A deployment is swapped as one object, so a request never sees half of a traffic change.
 */
import { performance } from 'node:perf_hooks';
import type { Random } from '../core/random.js';
import type { TrafficState } from '../core/traffic.js';
import { STICKY_HEADER } from './http-io.js';
import { InstancePool, type InstanceView } from './instance-pool.js';
import type { ModelArtifact } from './model-artifact.js';

export interface Deployment {
  stable: ModelArtifact;
  canary?: { artifact: ModelArtifact; weight: number };
  mirror?: { artifact: ModelArtifact; share: number };
  sticky?: { header: string };
  rolling?: { artifact: ModelArtifact; instances: number; replaced: number };
}

/** Where one request goes. Only stable and canary answer callers; shadow gets copies. */
export interface Route {
  slot: 'stable' | 'canary';
  artifact: ModelArtifact;
  /** Sticky routing is on and the request had no key: it went to stable. */
  unkeyed: boolean;
  /** The sticky key (user) the split was decided by, counted as the slot's users. */
  key?: string;
  /** Rolling: the instance that serves it. */
  instance?: string;
  /** Rolling: healthy instances when it was routed. */
  healthy?: number;
  /** Mirroring drew this request: a copy goes to this artifact after the answer. */
  mirror?: ModelArtifact;
}

/** Rolling, and every instance is warming up. */
export interface NoHealthyInstance {
  slot: undefined;
  instances: number;
  healthy: 0;
}

/** Reads one request header (lower-case name); undefined when absent. */
export type HeaderLookup = (name: string) => string | undefined;

export class Endpoint {
  private deployment: Deployment;
  private pool: InstancePool | undefined;

  constructor(
    readonly model: string,
    stable: ModelArtifact,
    private readonly random: Random,
    /** A separate stream, so turning mirroring on does not change which slot a request gets. */
    private readonly mirrorRandom: Random,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.deployment = { stable };
  }

  /** Number of features the stable model expects; requests are checked against it. */
  get featureCount(): number {
    return this.deployment.stable.weights.length;
  }

  /**
   * Swaps in a deployment. With `rolling`, the pool is created on first use from instances that
   * already run the previous stable version, then instances [0, replaced) are given the rolling
   * version and the rest the stable one; those that change go down for their warm-up. Without
   * `rolling` the pool is gone and the endpoint answers directly.
   */
  apply(deployment: Deployment): void {
    const rolling = deployment.rolling;
    if (rolling) {
      this.pool ??= new InstancePool(rolling.instances, this.deployment.stable, this.now);
      this.pool.reconcile(
        Array.from({ length: rolling.instances }, (_, i) =>
          i < rolling.replaced ? rolling.artifact : deployment.stable,
        ),
      );
    } else {
      this.pool = undefined;
    }
    this.deployment = deployment;
  }

  traffic(): TrafficState {
    const d = this.deployment;
    const state: TrafficState = { stable: { version: d.stable.version } };
    if (d.canary) state.canary = { version: d.canary.artifact.version, weight: d.canary.weight };
    if (d.mirror) state.mirror = { version: d.mirror.artifact.version, share: d.mirror.share };
    if (d.sticky) state.sticky = { header: d.sticky.header };
    if (d.rolling) {
      const { artifact, instances, replaced } = d.rolling;
      state.rolling = { version: artifact.version, instances, replaced };
    }
    return state;
  }

  /** The simulated instances of a rolling release; empty when the endpoint has no pool. */
  instances(): InstanceView[] {
    return this.pool?.list() ?? [];
  }

  /** Healthy and total instances of the pool, or undefined when there is none. */
  health(): { healthy: number; total: number } | undefined {
    return this.pool && { healthy: this.pool.healthyCount(), total: this.pool.size };
  }

  /** Versions held now, per metrics slot (rolling's replaced instances count as canary). */
  slotVersions(): { stable: string; canary?: string; shadow?: string } {
    const d = this.deployment;
    const canary = d.rolling?.artifact.version ?? d.canary?.artifact.version;
    return {
      stable: d.stable.version,
      ...(canary === undefined ? {} : { canary }),
      ...(d.mirror ? { shadow: d.mirror.artifact.version } : {}),
    };
  }

  /** The artifact of `version` when it is deployed in any slot (a direct request may reach it). */
  deployedArtifact(version: string): ModelArtifact | undefined {
    const d = this.deployment;
    return [d.stable, d.canary?.artifact, d.mirror?.artifact, d.rolling?.artifact].find(
      (a) => a?.version === version,
    );
  }

  /**
   * Picks the slot for one request, and whether it is copied to the shadow.
   * - rolling: the next healthy instance, round-robin; its slot is canary if it was replaced.
   * - sticky (configured header): the key's hash against the canary weight, so a user stays on
   *   one arm (and stays in the canary as its weight grows); no key means stable, counted.
   * - otherwise: an `x-user-id` header, when sent and not empty, sticks the same way; without one
   *   the split is a seeded coin flip per request.
   */
  route(header: HeaderLookup): Route | NoHealthyInstance {
    const d = this.deployment;
    const route = this.primary(d, header);
    if (route.slot !== undefined && d.mirror && d.mirror.share > 0) {
      if (this.mirrorRandom.next() * 100 < d.mirror.share) route.mirror = d.mirror.artifact;
    }
    return route;
  }

  private primary(d: Deployment, header: HeaderLookup): Route | NoHealthyInstance {
    if (d.rolling && this.pool) {
      const instance = this.pool.pick();
      // Counted after the pick, so the pick itself is among what the count describes.
      const healthy = this.pool.healthyCount();
      if (!instance) return { slot: undefined, instances: this.pool.size, healthy: 0 };
      const slot = instance.index < d.rolling.replaced ? 'canary' : 'stable';
      return { slot, artifact: instance.artifact, unkeyed: false, instance: instance.id, healthy };
    }
    const stable: Route = { slot: 'stable', artifact: d.stable, unkeyed: false };
    if (d.sticky) {
      const key = header(d.sticky.header.toLowerCase());
      if (key === undefined || key === '') return { ...stable, unkeyed: true };
      return { ...this.split(d, stickyPoint(key)), key };
    }
    // An empty header is no key (as above): a coin flip, not the one point '' hashes to.
    const legacyKey = header(STICKY_HEADER) || undefined;
    const keyed = legacyKey === undefined ? {} : { key: legacyKey };
    const canary = d.canary;
    if (!canary || canary.weight <= 0) return { ...stable, ...keyed };
    const point = legacyKey === undefined ? this.random.next() * 100 : stickyPoint(legacyKey);
    return { ...this.split(d, point), ...keyed };
  }

  private split(d: Deployment, point: number): Route {
    const canary = d.canary;
    return canary && point < canary.weight
      ? { slot: 'canary', artifact: canary.artifact, unkeyed: false }
      : { slot: 'stable', artifact: d.stable, unkeyed: false };
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
