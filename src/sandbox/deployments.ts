/**
 * Turns a requested TrafficState into a Deployment: every version it names must exist, load,
 * and take the same requests as the stable one. Everything is loaded and checked before the
 * caller swaps, so a refused change leaves the old state serving.
 */
import type { TrafficState } from '../core/traffic.js';
import { HttpError } from './http-io.js';
import { ArtifactError, listVersions, loadArtifact, type ModelArtifact } from './model-artifact.js';
import type { Deployment } from './router.js';

export async function loadDeployment(
  modelsDir: string,
  model: string,
  state: TrafficState,
): Promise<Deployment> {
  const versions = await listVersions(modelsDir, model);
  const named: [string, string][] = [['stable.version', state.stable.version]];
  if (state.canary) named.push(['canary.version', state.canary.version]);
  if (state.mirror) named.push(['mirror.version', state.mirror.version]);
  if (state.rolling) named.push(['rolling.version', state.rolling.version]);
  for (const [field, version] of named) {
    if (!versions.includes(version)) {
      throw new HttpError(
        400,
        `${field}: unknown version ${JSON.stringify(version)} of model ${model}; available: ${versions.join(', ')}`,
      );
    }
  }
  const load = async (version: string): Promise<ModelArtifact> => {
    try {
      return await loadArtifact(modelsDir, model, version);
    } catch (e) {
      if (e instanceof ArtifactError) throw new HttpError(500, e.message);
      throw e;
    }
  };
  const stable = await load(state.stable.version);
  const sameInputs = (field: string, artifact: ModelArtifact) => {
    const n = artifact.weights.length;
    const expected = stable.weights.length;
    if (n !== expected) {
      const slot = field.split('.')[0];
      throw new HttpError(
        400,
        `${field}: ${artifact.version} takes ${n} features but stable ${stable.version} takes ` +
          `${expected}; ${slot === 'canary' ? 'both slots' : `stable and ${slot}`} must accept the same requests`,
      );
    }
    return artifact;
  };
  const deployment: Deployment = { stable };
  if (state.canary) {
    const artifact = sameInputs('canary.version', await load(state.canary.version));
    deployment.canary = { artifact, weight: state.canary.weight };
  }
  if (state.mirror) {
    const artifact = sameInputs('mirror.version', await load(state.mirror.version));
    deployment.mirror = { artifact, share: state.mirror.share };
  }
  if (state.sticky) deployment.sticky = { header: state.sticky.header };
  if (state.rolling) {
    const artifact = sameInputs('rolling.version', await load(state.rolling.version));
    deployment.rolling = { artifact, instances: state.rolling.instances, replaced: state.rolling.replaced };
  }
  return deployment;
}
