import { z } from 'zod';
import type { SandboxTargetConfig } from '../config/types.js';
import { TargetError } from '../core/errors.js';
import { errorText, requestJson } from '../core/http-json.js';
import { safeUrl } from '../core/safe-url.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { refusalClass, TargetStateError } from './errors.js';
import { identityOf, urlIdentity } from './identity.js';
import type { Target } from './target.js';

const trafficSchema = z.object({
  stable: z.object({ version: z.string() }),
  canary: z.object({ version: z.string(), weight: z.number() }).optional(),
  mirror: z.object({ version: z.string(), share: z.number() }).optional(),
  sticky: z.object({ header: z.string() }).optional(),
  rolling: z.object({ version: z.string(), instances: z.number(), replaced: z.number() }).optional(),
});

/** The embedded sandbox, driven through its admin API. */
export function sandboxTarget(config: SandboxTargetConfig, modelName: string): Target {
  const model = config.model ?? modelName;
  const url = `${config.url.replace(/\/+$/, '')}/admin/models/${encodeURIComponent(model)}/traffic`;
  const description = `sandbox ${model} at ${safeUrl(config.url)}`;

  async function call(method: 'GET' | 'PUT', body?: TrafficState): Promise<TrafficState> {
    let res: Awaited<ReturnType<typeof requestJson>>;
    try {
      res = await requestJson(method, url, body);
    } catch (err) {
      throw new TargetError(`${description} is unreachable: ${(err as Error).message}`);
    }
    // A 400 (a version it lacks, a bad weight) gets the same answer again: the request must change.
    if (res.status !== 200)
      throw new (refusalClass(res.status, method === 'PUT'))(`${description} refused: ${errorText(res)}`);
    const parsed = trafficSchema.safeParse(res.body);
    if (!parsed.success)
      throw new TargetStateError(`${description} answered with an unexpected traffic state`);
    return parsed.data;
  }

  return {
    description,
    identity: identityOf('sandbox', { ...urlIdentity(config.url), model }),
    stickySplit: targetCapabilities('sandbox').sticky,
    read: () => call('GET'),
    write: async (desired) => {
      await call('PUT', desired);
    },
  };
}
