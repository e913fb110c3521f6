import type { TrafficState } from '../core/traffic.js';
import type { StickySplit } from './capabilities.js';

/**
 * A serving platform, driven declaratively: `write` asks for a traffic state, `read`
 * says what the platform really serves. Use `reconcile` (not `write`) to change traffic.
 */
export interface Target {
  /** For messages: `sandbox fraud-detector at http://127.0.0.1:8080`. */
  readonly description: string;
  /**
   * How it splits an A/B, from its capabilities; absent: `key` (the read-back must show the
   * sticky key).
   */
  readonly stickySplit?: StickySplit;
  read(): Promise<TrafficState>;
  write(desired: TrafficState): Promise<void>;
}
