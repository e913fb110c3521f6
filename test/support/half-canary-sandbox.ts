import { requestJson } from '../../src/core/http-json.js';
import type { MetricWindow } from '../../src/metrics/source.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

// The sandbox with fraud-detector split half and half between two versions, for the tests of what
// its metrics count per slot.

/**
 * The sandbox serving fraud-detector v1, its draws seeded by `seed`, with `canary` taking 50% of
 * the traffic beside it; by the `sticky` header's value (a user's key) when given, else per request.
 */
export async function startHalfCanarySandbox(
  seed: number,
  canary: string,
  sticky?: string,
): Promise<Sandbox> {
  const sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
    seed,
  });
  await requestJson('PUT', `${sandbox.url}/admin/models/fraud-detector/traffic`, {
    stable: { version: 'v1' },
    canary: { version: canary, weight: 50 },
    ...(sticky === undefined ? {} : { sticky: { header: sticky } }),
  });
  return sandbox;
}

/** fraud-detector's metric window from `since` to `until` on `slot`, v1 stable and v2 the canary. */
export const v2CanaryWindow = (slot: 'stable' | 'canary', since: number, until: number): MetricWindow => ({
  model: 'fraud-detector',
  slot,
  version: slot === 'canary' ? 'v2' : 'v1',
  since,
  until,
});
