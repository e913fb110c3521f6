import type { z } from 'zod';
import { urlAddress } from '../core/safe-url.js';
import { asRecord, type Loose } from './fields.js';
import { describeValue } from './messages.js';

/**
 * Two models of the config on one platform model share its one traffic state: each would deploy
 * its candidate over the other's, and each report would judge the other's traffic as its own.
 * What addresses a platform model is what its adapter's identity holds (src/targets/*-target.ts,
 * Target.identity), the model's key standing in where the name defaults to it.
 */

/** The field that tells two models on one platform apart, and what it is, by target type. */
const OWN: Record<string, { field: string; noun: string }> = {
  sandbox: { field: 'model', noun: 'sandbox model' },
  kserve: { field: 'name', noun: 'KServe InferenceService' },
  seldon: { field: 'experiment', noun: 'Seldon Experiment' },
  sagemaker: { field: 'endpoint', noun: 'SageMaker endpoint' },
  azureml: { field: 'endpoint', noun: 'Azure ML endpoint' },
  vertex: { field: 'endpoint', noun: 'Vertex AI endpoint' },
  http: { field: 'url', noun: 'serving-layer model (target.url)' },
};

/** The rest of the identity: the service, account or cluster the field is read in. */
const SCOPE: Record<string, readonly string[]> = {
  sandbox: ['url'],
  kserve: ['namespace', 'context'],
  seldon: ['namespace', 'context'],
  sagemaker: ['region', 'profile'],
  azureml: ['workspace', 'resource-group', 'subscription'],
  vertex: ['region', 'project'],
  http: [],
};

/**
 * One text per platform model, or undefined where models never share one: a command target's
 * commands are told the model (MODEL_GATE_MODEL), so one pair of commands may serve many.
 */
function platformModel(target: Loose, modelKey: string): { key: string; name: unknown } | undefined {
  const type = target.type;
  const own = typeof type === 'string' ? OWN[type] : undefined;
  if (!own) return undefined;
  // Read before or after the target's own transform (which camel-cases `resource-group`).
  const value = (field: string) => {
    const v = target[field] ?? target[field.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())];
    return field === 'url' && typeof v === 'string' ? sameUrl(v) : v;
  };
  // A sandbox model, InferenceService or Experiment left out is named after the model's key.
  const name = value(own.field) ?? (own.field === 'endpoint' || own.field === 'url' ? undefined : modelKey);
  // Missing (refused on its own): nothing to compare.
  if (name === undefined) return undefined;
  return { key: JSON.stringify([type, name, ...(SCOPE[type as string] ?? []).map(value)]), name };
}

/** A URL as the same address however written: no credentials, trailing slash or fragment. */
function sameUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${urlAddress(u)}${u.search}`;
  } catch {
    return raw;
  }
}

/** Refuses a model whose target is an earlier model's platform model, naming both. */
export function checkSharedTargets(models: Loose, defaults: Loose | undefined, ctx: z.core.$RefinementCtx) {
  const first = new Map<string, string>();
  for (const [name, entry] of Object.entries(models)) {
    const model = asRecord(entry);
    const target = asRecord(model?.target ?? defaults?.target);
    const platform = target && platformModel(target, name);
    if (!target || !platform) continue;
    const earlier = first.get(platform.key);
    if (earlier === undefined) {
      first.set(platform.key, name);
      continue;
    }
    const { field, noun } = OWN[target.type as string] as { field: string; noun: string };
    // A URL is not shown: it may hold a secret.
    const which =
      field === 'url' || typeof platform.name !== 'string' ? '' : ` ${describeValue(platform.name)}`;
    ctx.addIssue({
      code: 'custom',
      input: undefined,
      path: ['models', name, 'target', field],
      message: `${name} and ${earlier} are the same ${noun}${which} on the same target, so each would put its candidate in the other's canary slot and report on the other's traffic as its own; give ${name} its own target.${field}, or release both versions from one model`,
    });
  }
}
