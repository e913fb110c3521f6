import { z } from 'zod';
import type { SandboxTargetConfig } from '../config/types.js';
import { apiUrl } from '../core/api-url.js';
import { TargetError } from '../core/errors.js';
import {
  errorText,
  type JsonResponse,
  parsedOrUndefined,
  requestText,
  type TextResponse,
} from '../core/http-json.js';
import { safeUrl } from '../core/safe-url.js';
import { followedBy } from '../core/text.js';
import type { TrafficState } from '../core/traffic.js';
import { targetCapabilities } from './capabilities.js';
import { refusalClass, type TargetAccessError, TargetStateError } from './errors.js';
import { identityOf, urlIdentity } from './identity.js';
import { redirectedCall } from './redirect.js';
import type { Target } from './target.js';

const trafficSchema = z.object({
  stable: z.object({ version: z.string() }),
  canary: z.object({ version: z.string(), weight: z.number() }).optional(),
  mirror: z.object({ version: z.string(), share: z.number() }).optional(),
  sticky: z.object({ header: z.string() }).optional(),
  rolling: z.object({ version: z.string(), instances: z.number(), replaced: z.number() }).optional(),
});

/** The sandbox's words for a version it has no artifact of (src/sandbox/deployments.ts). */
const UNKNOWN_VERSION = /unknown version "([^"]+)"/;

/** The embedded sandbox, driven through its admin API. */
export function sandboxTarget(config: SandboxTargetConfig, modelName: string): Target {
  const model = config.model ?? modelName;
  // The url's own path and query (a proxy's prefix, `?tenant=a`) are kept, as the sandbox metric
  // source keeps them: the API path goes before the query, not after it.
  const at = (path: string) => apiUrl(config.url, path, {});
  const base = at('');
  const path = `/admin/models/${encodeURIComponent(model)}/traffic`;
  const url = at(path);
  const description = `sandbox ${model} at ${safeUrl(config.url)}`;

  /**
   * What the user does about an answer of `status` saying `said`, which no run of the same request
   * changes but for a 5xx; nothing where the sandbox's own words are all there is to say.
   */
  function fixFor(status: number, said: string): string {
    const version = UNKNOWN_VERSION.exec(said)?.[1];
    if ((status === 400 || status === 422) && version) {
      // The sandbox lists what it has after `available:`; a proxy's words may not.
      const list = said.includes('available:') ? '' : ` (GET ${safeUrl(at('/admin/models'))} lists them)`;
      return `use a version the sandbox has${list}, or add its artifact ${model}/${version}.json to the sandbox's models directory`;
    }
    if (status === 404) {
      return `nothing at ${safeUrl(url)}: check the target's url and model (target.model, else the model's name in the config)`;
    }
    if (status === 401 || status === 403) {
      return "the sandbox target sends no credentials: point the target's url at the sandbox, not at a proxy that asks for them";
    }
    return '';
  }

  /** The error for an answer that is not a 200: a refusal to change the request, or the sandbox not up. */
  function failure(res: JsonResponse, method: 'GET' | 'PUT'): TargetError {
    const what = method === 'PUT' ? 'the traffic change' : 'the traffic read';
    const said = errorText(res);
    const words = said === `HTTP ${res.status}` ? '' : `: ${said}`;
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      // No refusal: the sandbox, or the proxy in front of it, is not serving (yet). A later run may pass.
      return new TargetError(
        `${description} answered ${what} with HTTP ${res.status}${words}; the sandbox, or a proxy in front of it, is not serving (still starting, or down; GET ${safeUrl(at('/healthz'))} answers once it is up)`,
      );
    }
    if (res.status >= 500)
      return new TargetError(`${description} failed ${what} (HTTP ${res.status})${words}`);
    // A 400 (a version it lacks, a bad weight) gets the same answer again: the request must change.
    const refused = `${description} refused: ${said}`;
    const fix = fixFor(res.status, said);
    return new (refusalClass(res.status, method === 'PUT'))(fix ? followedBy(refused, fix) : refused);
  }

  /** A redirect answered to `method` (redirect.ts), worded as the http target words one. */
  function redirected(res: TextResponse, method: 'GET' | 'PUT'): TargetAccessError {
    const head = `${description} redirected ${method} ${path} (HTTP ${res.status})`;
    return redirectedCall({ head, location: res.location, url, base, path, who: 'the sandbox' });
  }

  async function call(method: 'GET' | 'PUT', body?: TrafficState): Promise<TrafficState> {
    let answer: TextResponse;
    try {
      answer = await requestText(method, url, body);
    } catch (err) {
      throw new TargetError(`${description} is unreachable: ${(err as Error).message}`);
    }
    if (answer.status >= 300 && answer.status <= 399) throw redirected(answer, method);
    const res: JsonResponse = { status: answer.status, body: parsedOrUndefined(answer.text) };
    if (res.body === undefined && answer.text !== '') {
      // A proxy's page (an HTML 502, a text 404) answered: worded by its status, not as nobody answering.
      if (res.status !== 200) throw failure({ status: res.status, body: undefined }, method);
      throw new TargetError(
        `${description} is unreachable: ${method} ${safeUrl(url)} answered 200 with a body that is not JSON`,
      );
    }
    if (res.status !== 200) throw failure(res, method);
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
