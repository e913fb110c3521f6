import type { TrafficState } from '../core/traffic.js';

/**
 * A serving platform, driven declaratively: `write` asks for a traffic state, `read`
 * says what the platform really serves. Use `reconcile` (not `write`) to change traffic.
 */
export interface Target {
  /** For messages: `sandbox fraud-detector at http://127.0.0.1:8080`. */
  readonly description: string;
  read(): Promise<TrafficState>;
  write(desired: TrafficState): Promise<void>;
}
