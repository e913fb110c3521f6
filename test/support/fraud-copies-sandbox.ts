import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';

/**
 * A sandbox serving `models`, each a copy of the demo's fraud-detector under its own name at v1:
 * many models for the price of one demo model. `seed` as startSandbox takes it.
 */
export async function startFraudCopiesSandbox(models: readonly string[], seed?: number): Promise<Sandbox> {
  const modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-fraud-copies-'));
  for (const model of models)
    await cp(join(demoModelsDir, 'fraud-detector'), join(modelsDir, model), { recursive: true });
  return startSandbox({
    modelsDir,
    endpoints: models.map((model) => ({ model, stable: 'v1' })),
    ...(seed === undefined ? {} : { seed }),
  });
}
