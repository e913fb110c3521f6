/**
 * Which arm and version served each request that carried an `id`, so outcome feedback arriving
 * later is credited to the arm that earned it. Bounded in time and in memory: entries older than
 * the TTL are forgotten, and past `max` entries the oldest goes first.
 */
import type { Slot } from './metrics-store.js';

export interface ServedRequest {
  slot: Slot;
  version: string;
  /** Undefined when the model failed (HTTP 500): such a prediction is never correct. */
  prediction: 0 | 1 | null | undefined;
  /** Of the serving artifact, kept here because the slot may hold another version by feedback time. */
  conversionFactor: number;
  /** Set once feedback was recorded: one feedback record per request keeps the counts exact. */
  feedback: boolean;
  /** The sticky key (user) the request was routed by, if any: its feedback counts that user. */
  user?: string;
}

export const SERVED_TTL_MS = 2 * 60 * 60 * 1000;
export const SERVED_MAX_ENTRIES = 200_000;

export class ServedLog {
  /** Insertion order is time order: a request id seen again is moved to the end. */
  private readonly entries = new Map<string, { at: number; served: ServedRequest }>();

  constructor(
    private readonly max = SERVED_MAX_ENTRIES,
    private readonly ttlMs = SERVED_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** A repeated id replaces the earlier request: feedback names the latest one. */
  remember(model: string, id: string, served: ServedRequest): void {
    const key = entryKey(model, id);
    const at = this.now();
    this.entries.delete(key);
    this.entries.set(key, { at, served });
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.max && at - entry.at <= this.ttlMs) break;
      this.entries.delete(oldest);
    }
  }

  /** The request, or undefined if it was never served, is older than the TTL or was pushed out. */
  find(model: string, id: string): ServedRequest | undefined {
    const key = entryKey(model, id);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.served;
  }
}

// JSON of the parts cannot collide, whatever characters the names contain.
const entryKey = (model: string, id: string) => JSON.stringify([model, id]);
