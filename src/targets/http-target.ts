import { request } from 'undici';
import { z } from 'zod';
import { formatDuration } from '../config/duration.js';
import type { HttpTargetConfig } from '../config/types.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { safeUrl } from '../core/safe-url.js';
import type { TrafficState } from '../core/traffic.js';
import { TARGET_STRATEGIES, targetCapabilities } from './capabilities.js';
import { TargetBusyError } from './errors.js';
import { waitUntilSettled } from './platform-cli.js';
import type { Target } from './target.js';

// The REST contract of docs/http-target.openapi.yaml, which the user's own serving layer
// implements: GET {url}/capabilities, GET {url}/traffic, PUT {url}/traffic.
// 409 means busy (another change in progress), 429 throttled (Retry-After honoured), 422 the
// state cannot be served (say why in `error`); `updating: true` in a traffic status means
// the change is still converging.

export const capabilitiesSchema = z.object({
  strategies: z.array(z.enum(TARGET_STRATEGIES)).min(1),
  weights: z.enum(['integer', 'fractional']).default('fractional'),
  mirror: z.object({ maxPercent: z.number().min(0).max(100) }).optional(),
});
export type HttpCapabilities = z.output<typeof capabilitiesSchema>;

export const trafficStatusSchema = z.object({
  stable: z.object({ version: z.string().min(1) }),
  canary: z.object({ version: z.string().min(1), weight: z.number().min(0).max(100) }).optional(),
  mirror: z.object({ version: z.string().min(1), share: z.number().min(0).max(100) }).optional(),
  sticky: z.object({ header: z.string().min(1) }).optional(),
  updating: z.boolean().default(false),
});

interface Answer {
  status: number;
  body: unknown;
  retryAfterMs?: number;
}

const THROTTLE_ATTEMPTS = 5;

export function httpTarget(
  config: HttpTargetConfig,
  clock: Clock = systemClock,
): Target & {
  capabilities(): Promise<HttpCapabilities>;
} {
  const base = config.url.replace(/\/+$/, '');
  const description = `serving layer at ${safeUrl(base)}`;
  let capabilities: HttpCapabilities | undefined;

  async function call(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<Answer> {
    const url = `${base}${path}`;
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...config.headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(config.timeoutMs),
      });
    } catch (err) {
      const why =
        (err as Error).name === 'TimeoutError'
          ? `no answer within ${formatDuration(config.timeoutMs)}`
          : (err as Error).message;
      throw new TargetError(`${method} ${safeUrl(url)} failed: ${why}`);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new TargetError(
        `${method} ${safeUrl(url)} failed while reading the answer: ${(err as Error).message}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new TargetError(
        `${method} ${safeUrl(url)} answered ${res.statusCode} with a body that is not JSON`,
      );
    }
    const retryAfter = Number(res.headers['retry-after']);
    return {
      status: res.statusCode,
      body: parsed,
      retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined,
    };
  }

  /** A call with throttling (429) retried after Retry-After (at most the poll interval x 2^n). */
  async function callPatiently(method: 'GET' | 'PUT', path: string, body?: unknown): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      const answer = await call(method, path, body);
      if (answer.status !== 429 || attempt >= THROTTLE_ATTEMPTS) return answer;
      await clock.sleep(
        Math.min(answer.retryAfterMs ?? Number.POSITIVE_INFINITY, config.pollIntervalMs * 2 ** (attempt - 1)),
      );
    }
  }

  const errorOf = (a: Answer) => {
    const message = (a.body as { error?: unknown } | undefined)?.error;
    return typeof message === 'string' ? message : `HTTP ${a.status}`;
  };

  function parse<S extends z.ZodType>(schema: S, answer: Answer, what: string): z.output<S> {
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TargetError(
        `${description} answered ${what} with an unexpected body: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}`,
      );
    }
    return parsed.data;
  }

  async function status() {
    const answer = await callPatiently('GET', '/traffic');
    if (answer.status !== 200)
      throw new TargetError(`${description} refused GET /traffic: ${errorOf(answer)}`);
    return parse(trafficStatusSchema, answer, 'GET /traffic');
  }

  async function fetchCapabilities(): Promise<HttpCapabilities> {
    if (capabilities) return capabilities;
    const answer = await callPatiently('GET', '/capabilities');
    if (answer.status !== 200)
      throw new TargetError(`${description} refused GET /capabilities: ${errorOf(answer)}`);
    capabilities = parse(capabilitiesSchema, answer, 'GET /capabilities');
    const missing = config.strategies.filter((s) => !capabilities?.strategies.includes(s));
    if (missing.length > 0) {
      throw new TargetError(
        `${description} can do ${capabilities.strategies.join(', ')}, but the config declares ${missing.join(', ')} for it: remove it from target.strategies or add it to the service`,
      );
    }
    return capabilities;
  }

  return {
    description,
    stickySplit: targetCapabilities('http').sticky,
    capabilities: fetchCapabilities,
    async read() {
      const { updating: _, ...served } = await status();
      return served;
    },
    async write(desired: TrafficState) {
      const caps = await fetchCapabilities();
      const weight = desired.canary?.weight ?? 0;
      if (caps.weights === 'integer' && !Number.isInteger(weight)) {
        throw new TargetError(`${description} takes whole percentages of traffic, got ${weight}`);
      }
      const mirrored = desired.mirror?.share ?? 0;
      if (mirrored > (caps.mirror?.maxPercent ?? 0)) {
        throw new TargetError(
          caps.mirror
            ? `${description} mirrors at most ${caps.mirror.maxPercent}% of live traffic, asked for ${mirrored}%`
            : `${description} has no mirror in its capabilities, so it cannot shadow ${desired.mirror?.version}`,
        );
      }
      const deadline = clock.now() + config.settleTimeoutMs;
      for (;;) {
        const answer = await callPatiently('PUT', '/traffic', desired);
        if (answer.status === 200 || answer.status === 202) break;
        if (answer.status === 409) {
          if (clock.now() + config.pollIntervalMs <= deadline) {
            await clock.sleep(config.pollIntervalMs);
            continue;
          }
          throw new TargetBusyError(
            `${description} is busy with another change (${errorOf(answer)}); nothing was changed, try again later`,
          );
        }
        if (answer.status === 429) {
          throw new TargetError(
            `${description} kept refusing PUT /traffic for rate limits: ${errorOf(answer)}`,
          );
        }
        throw new TargetError(
          `${description} refused PUT /traffic (HTTP ${answer.status}): ${errorOf(answer)}`,
        );
      }
      await waitUntilSettled(
        async () => {
          const now = await status();
          return now.updating
            ? { done: false, why: 'it still reports updating: true' }
            : { done: true, value: now };
        },
        config,
        clock,
        description,
      );
    },
  };
}
