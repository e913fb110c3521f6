import { request } from 'undici';
import { z } from 'zod';
import { formatDuration, formatElapsed } from '../config/duration.js';
import type { HttpTargetConfig, ModelConfig } from '../config/types.js';
import { apiUrl } from '../core/api-url.js';
import { type Clock, systemClock } from '../core/clock.js';
import { TargetError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { retryAfterMs } from '../core/retry-after.js';
import { hideUrlSecrets, safeUrl } from '../core/safe-url.js';
import { clip, followedBy } from '../core/text.js';
import type { TrafficState } from '../core/traffic.js';
import { withUrlCredentials } from '../core/url-credentials.js';
import { TARGET_STRATEGIES, targetCapabilities } from './capabilities.js';
import {
  type ChangeDeadline,
  callLimit,
  changeDeadline,
  changesWithin,
  limitText,
  outOfTime,
  passingReadFailures,
  settleAccepted,
} from './change-deadline.js';
import { refusalClass, TargetBusyError, TargetRefusedError, TargetStateError } from './errors.js';
import { identityOf, urlIdentity } from './identity.js';
import { redirectedCall } from './redirect.js';
import type { Target } from './target.js';

// The REST contract of docs/http-target.openapi.yaml, which the user's own serving layer
// implements: GET {url}/capabilities, GET {url}/traffic, PUT {url}/traffic.
// 409 means busy (another change in progress), 429 throttled, 422 the state cannot be served
// (say why in `error`); `updating: true` in a traffic status means the change is still converging.
// Busy, throttled, a gateway's 502/503/504, a refused or reset connection, a network or DNS blip
// and no answer within `timeout` are passing conditions: the call is made again until the settle
// timeout, never sooner than Retry-After.
// The settle timeout bounds a whole traffic change (its PUT's retries, the wait for `updating:
// false`, every GET in it and reconcile's read-back after it) and a whole read, not each call: a
// watch job's lease counts on it. Each request is cut to the time left (change-deadline.ts).

export const capabilitiesSchema = z.object({
  strategies: z.array(z.enum(TARGET_STRATEGIES)).min(1),
  weights: z.enum(['integer', 'fractional']).default('fractional'),
  mirror: z.object({ maxPercent: z.number().min(0).max(100) }).optional(),
});
export type HttpCapabilities = z.output<typeof capabilitiesSchema>;

/**
 * A `null` optional part of a traffic status read as absent, as serializers write one (FastAPI's
 * pydantic sends `"canary": null` for a model without a candidate), and as the command target reads it.
 */
const OPTIONAL_PARTS = ['canary', 'mirror', 'sticky'];
const withoutNullParts = (body: unknown): unknown =>
  body && typeof body === 'object' && !Array.isArray(body)
    ? Object.fromEntries(
        Object.entries(body).filter(([key, value]) => !(value === null && OPTIONAL_PARTS.includes(key))),
      )
    : body;

const trafficStatusObject = z.object({
  stable: z.object({ version: z.string().min(1) }),
  canary: z.object({ version: z.string().min(1), weight: z.number().min(0).max(100) }).optional(),
  mirror: z.object({ version: z.string().min(1), share: z.number().min(0).max(100) }).optional(),
  sticky: z.object({ header: z.string().min(1) }).optional(),
  updating: z.boolean().default(false),
});
export const trafficStatusSchema = z.preprocess(withoutNullParts, trafficStatusObject);

interface Answer {
  status: number;
  /** The body as sent: JSON is parsed only where it is read (`json`), a gateway's HTML is quoted. */
  text: string;
  retryAfterMs?: number;
  /** Where a redirect (3xx) points, as its Location header says. */
  location?: string;
  /** How long the call was retried before this answer, when it was. */
  retriedMs?: number;
}

/**
 * One traffic change or one read, named for messages (`the traffic change`): every call and wait
 * in it ends by its deadline, its settle timeout after it began.
 */
interface Budget extends ChangeDeadline {
  /** Set once the service took the PUT: from then on something may have changed. */
  asked?: boolean;
}

/**
 * A success: 200 and 202 as the contract defines them, and any other 2xx (201 Created, 204 No
 * Content, as REST services answer a PUT): what serves is read back from GET /traffic either way.
 */
const succeeded = (a: Answer) => a.status >= 200 && a.status <= 299;

/** Answers worth another try: busy, throttled, a gateway between us and the service failing. */
const PASSING_STATUS = new Set([409, 429, 502, 503, 504]);
/**
 * Connection failures worth another try: the service restarting, a gateway dropping it, a route or
 * name lookup failing for a moment, a connection not made in time.
 */
const PASSING_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** The calls of the REST contract, as messages name them. */
type Call = 'GET /capabilities' | 'GET /traffic' | 'PUT /traffic';

/**
 * A request that found nobody answering (refused, reset, no answer within `timeout`): worth another
 * try. `advice`, what to do should it last, ends the message once the retries are over.
 */
class Unreachable extends TargetError {
  constructor(
    message: string,
    readonly advice = '',
  ) {
    super(message);
  }
}

/** A weight the model's strategy will ask for, by the config field that sets it. */
export interface PlannedWeight {
  field: string;
  weight: number;
}

/** The live weights `model`'s strategy asks for, named as the config writes them. */
export function plannedWeights(model: Pick<ModelConfig, 'name' | 'strategy'>): PlannedWeight[] {
  const at = (key: string) => `models.${model.name}.strategy.${key}`;
  const s = model.strategy;
  switch (s.type) {
    case 'canary':
      return s.steps.map((weight, i) => ({ field: at(`steps[${i}]`), weight }));
    case 'linear':
      return [
        { field: at('step-size'), weight: s.stepSize },
        { field: at('max-weight'), weight: s.maxWeight },
      ];
    case 'ab':
      return [{ field: at('split'), weight: s.split }];
    default:
      return [];
  }
}

/** JSON of a body, or undefined when it is empty or not JSON (a gateway's HTML page). */
function json(answer: Answer): unknown {
  try {
    return answer.text ? JSON.parse(answer.text) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The version of `asked` (the candidate's looked for first) that `said` names as a word of its
 * own, not inside a path (`/api/v1/traffic`) or a longer name (`v1.2`): a 404 to a traffic change
 * saying `model version v9 not found` is about the version, not the URL.
 */
function versionNamed(said: string, asked: TrafficState): string | undefined {
  const versions = [asked.canary?.version, asked.mirror?.version, asked.stable.version];
  return versions.find((v) => {
    if (!v) return false;
    const escaped = v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\w./-])${escaped}(?![\\w/-]|\\.\\w)`).test(said);
  });
}

/** The start of a body for a message, on one line; an HTML page as its text. */
function excerpt(text: string): string {
  const plain = /^\s*</.test(text) ? text.replace(/<[^>]*>/g, ' ') : text;
  return JSON.stringify(oneLine(plain));
}

/**
 * Text from the service (or about it) for a message: on one line, no URL's secrets, no known
 * secret, then cut. Hidden before the cut: a token the cut runs through would no longer match
 * whole, and its head would go out (`token eyJhbGciOiJI…`).
 */
const oneLine = (text: string) => clip(redact(hideUrlSecrets(text.replace(/\s+/g, ' ').trim())), 160);

/**
 * `path` (`/traffic`) after the path of the target's `url`, whose query is kept: a gateway's key
 * (`https://host/api?code=...`) goes with every request, not into the path.
 */
function endpoint(url: string, path: string): string {
  try {
    return apiUrl(url, path, {});
  } catch {
    return `${url.replace(/\/+$/, '')}${path}`;
  }
}

export function httpTarget(
  config: HttpTargetConfig,
  /** The model it serves: its strategy's weights are checked against `/capabilities` up front. */
  model?: Pick<ModelConfig, 'name' | 'strategy'>,
  clock: Clock = systemClock,
): Target & {
  capabilities(): Promise<HttpCapabilities>;
} {
  // Credentials in the URL (`https://user:${PASS}@host`) become an Authorization header: undici
  // would drop them without a word.
  const { url: plainUrl, headers } = withUrlCredentials(config.url, config.headers);
  const description = `serving layer at ${safeUrl(endpoint(plainUrl, ''))}`;
  // Headers (tokens, tenants) are no part of it: a rotated token is the same service.
  const identity = identityOf('http', urlIdentity(config.url));
  const planned = model ? plannedWeights(model) : [];
  let capabilities: HttpCapabilities | undefined;
  // GET /traffic failures that may pass: one ends the wait after a PUT the service took (changeTo).
  const failedReads = passingReadFailures();

  const budget = (what: string): Budget => changeDeadline(config.settleTimeoutMs, clock, what);

  /**
   * How long `within` took in all, for a call whose own retries were not all of it (by a poll
   * interval at least, not the milliseconds of an earlier request): `, giving up 5m after the
   * traffic change began (settle-timeout 5m)`.
   */
  function inAll(within: Budget, retriedMs = 0): string {
    const spent = clock.now() - within.began;
    if (spent - retriedMs < config.pollIntervalMs) return '';
    return `, giving up ${formatElapsed(spent)} after ${within.what} began (settle-timeout ${formatDuration(config.settleTimeoutMs)})`;
  }

  async function call(method: 'GET' | 'PUT', path: string, within: Budget, body?: unknown): Promise<Answer> {
    const url = endpoint(plainUrl, path);
    // Cut to what the change (or read) has left: its last request ends with it, not `timeout` later.
    const limit = callLimit(config.timeoutMs, clock, within);
    if (limit.ms <= 0) throw outOfTime(`${method} ${safeUrl(url)}`, within);
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(limit.ms),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
      if (e.name === 'TimeoutError') {
        const noAnswer = `${method} ${safeUrl(url)} failed: no answer within ${limitText(limit)}`;
        // Cut by the deadline: the change's time is up, nothing is left for another try.
        if (limit.cutBy) {
          throw new TargetError(
            `${noAnswer}, ${limit.cutBy}; raise the target's settle-timeout if the service is just slow`,
          );
        }
        throw new Unreachable(noAnswer, "raise the target's timeout if the service is just slow");
      }
      const code = e.code ?? e.cause?.code;
      const failure = `${method} ${safeUrl(url)} failed: ${hideUrlSecrets(e.message)}`;
      throw code && PASSING_CODES.has(code) ? new Unreachable(failure) : new TargetError(failure);
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new TargetError(
        `${method} ${safeUrl(url)} failed while reading the answer: ${hideUrlSecrets((err as Error).message)}`,
      );
    }
    const location = res.headers.location;
    return {
      status: res.statusCode,
      text,
      retryAfterMs: retryAfterMs(res.headers['retry-after'], clock.now()),
      ...(location ? { location: Array.isArray(location) ? location[0] : location } : {}),
    };
  }

  /**
   * A call made again while the answer says the condition will pass (PASSING_STATUS, or nobody
   * answering) until the deadline of the change or read it belongs to: after Retry-After when the
   * service sends one, never sooner than the poll interval (doubling, except for busy), and never
   * past the deadline. The last answer is returned for the caller to report.
   * A PUT /traffic with no answer is made again too, though the service may have taken it: it asks
   * for a whole state, not a step from the current one, and the contract makes it idempotent
   * (docs/http-target.openapi.yaml: "the same state twice is a no-op"), so a repeat is safe.
   */
  async function callPatiently(
    method: 'GET' | 'PUT',
    path: string,
    within: Budget,
    body?: unknown,
  ): Promise<Answer> {
    const started = clock.now();
    const deadline = within.at;
    for (let attempt = 1; ; attempt++) {
      let answer: Answer | undefined;
      let unreachable: Unreachable | undefined;
      try {
        answer = await call(method, path, within, body);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        unreachable = err;
      }
      if (answer && !PASSING_STATUS.has(answer.status)) return answer;
      const left = deadline - clock.now();
      if (left <= 0) {
        const retried = clock.now() - started;
        if (unreachable) {
          // Made once only (the deadline came during it): no retrying to speak of, however long it took.
          const still = attempt > 1 ? ` (still after retrying for ${formatElapsed(retried)})` : '';
          const advice = unreachable.advice ? `; ${unreachable.advice}` : '';
          throw new TargetError(`${unreachable.message}${still}${inAll(within, retried)}${advice}`);
        }
        return { ...(answer as Answer), ...(retried > 0 ? { retriedMs: retried } : {}) };
      }
      const pace =
        answer?.status === 409 ? config.pollIntervalMs : config.pollIntervalMs * 2 ** (attempt - 1);
      await clock.sleep(Math.min(Math.max(answer?.retryAfterMs ?? 0, pace), left));
    }
  }

  /** What the service said went wrong: its `error`, else the start of the body. */
  const errorOf = (a: Answer) => {
    const message = (json(a) as { error?: unknown } | undefined)?.error;
    if (typeof message === 'string') return oneLine(message);
    return a.text.trim() ? excerpt(a.text) : '(empty body)';
  };

  /**
   * The error for an answer that is not a success, once any retrying is over; `asked`, the state a
   * PUT asked for, tells a 404 about one of its versions from one about the URL.
   */
  function refusal(answer: Answer, what: Call, within: Budget, asked?: TrafficState): TargetError {
    const said = errorOf(answer);
    const retried = answer.retriedMs ? ` for ${formatElapsed(answer.retriedMs)}` : '';
    const during = `${retried}${PASSING_STATUS.has(answer.status) ? inAll(within, answer.retriedMs) : ''}`;
    switch (answer.status) {
      case 409: {
        const still = retried ? `, still after retrying${during}` : during;
        // A GET /traffic still busy after the PUT was taken: the change may have begun.
        const changed = within.asked ? '' : 'nothing was changed, ';
        return new TargetBusyError(
          `${description} is busy with another change (${said})${still}; ${changed}try again later`,
        );
      }
      case 429:
        return new TargetError(`${description} kept refusing ${what} for rate limits${during}: ${said}`);
      case 502:
      case 503:
      case 504:
        return new TargetError(
          `${description} answered ${what} with HTTP ${answer.status}${during}: ${said}; is the service (or the gateway in front of it) up?`,
        );
      default: {
        if (answer.status >= 300 && answer.status <= 399) return redirected(answer, what);
        const unknown = answer.status === 404 && asked ? versionNamed(said, asked) : undefined;
        const Refusal = refusalClass(answer.status, what === 'PUT /traffic', unknown !== undefined);
        // A server error is no refusal of the request: the service failed at it.
        const verb = answer.status >= 500 ? 'failed' : 'refused';
        const refused = `${description} ${verb} ${what} (HTTP ${answer.status}): ${said}`;
        const fix = fixFor(answer.status, what, unknown);
        return new Refusal(fix ? followedBy(refused, fix) : refused);
      }
    }
  }

  /** A redirect answered to `what` (redirect.ts). */
  function redirected(answer: Answer, what: Call): TargetError {
    const path = what.slice(what.indexOf('/'));
    const head = `${description} redirected ${what} (HTTP ${answer.status})`;
    const [url, base] = [endpoint(plainUrl, path), endpoint(plainUrl, '')];
    return redirectedCall({ head, location: answer.location, url, base, path, who: 'the service' });
  }

  /**
   * What the user changes after a 401/403/404, which no wait changes; nothing for another status.
   * A 404 naming a version (`unknown`) found the service, so its URL and credentials are right.
   */
  function fixFor(status: number, what: Call, unknown?: string): string {
    if (status === 401 || status === 403) {
      return "check the credentials model-gate sends (the target's headers, or user:password in its url): expired, or without the permission";
    }
    if (status !== 404) return '';
    if (unknown) {
      return `version ${unknown} is not known to the service: deploy it there first, or ask for a version it has`;
    }
    const at = safeUrl(endpoint(plainUrl, what.slice(what.indexOf('/'))));
    return `nothing at ${at}: check the target's url (its host, and the model's name in its path)`;
  }

  // A body of another format: the service answered, and reading it again gets the same body.
  function parse<S extends z.ZodType>(schema: S, answer: Answer, what: Call): z.output<S> {
    const body = json(answer);
    if (body === undefined) {
      throw new TargetStateError(
        `${description} answered ${what} with a body that is not JSON: ${answer.text.trim() ? excerpt(answer.text) : '(empty)'}`,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TargetStateError(
        `${description} answered ${what} with an unexpected body: ${issue?.path.join('.') || '(top level)'}: ${issue?.message}`,
      );
    }
    return parsed.data;
  }

  async function readStatus(within: Budget) {
    const answer = await callPatiently('GET', '/traffic', within);
    if (!succeeded(answer)) throw refusal(answer, 'GET /traffic', within);
    return parse(trafficStatusSchema, answer, 'GET /traffic');
  }
  const status = (within: Budget) => readStatus(within).catch(failedReads.mark);

  /**
   * `GET /traffic` until `updating` is false, within the traffic change's own deadline: a last
   * look at the deadline, none after it.
   */
  async function untilSettled(within: Budget): Promise<void> {
    for (;;) {
      const now = await status(within);
      if (!now.updating) return;
      const left = within.at - clock.now();
      if (left <= 0) {
        throw new TargetBusyError(
          `${description} did not settle: it still reports updating: true ${formatElapsed(clock.now() - within.began)} after ${within.what} began (settle-timeout ${formatDuration(config.settleTimeoutMs)}); try again later`,
        );
      }
      await clock.sleep(Math.min(config.pollIntervalMs, left));
    }
  }

  async function fetchCapabilities(within = budget('reading the capabilities')): Promise<HttpCapabilities> {
    if (capabilities) return capabilities;
    const answer = await callPatiently('GET', '/capabilities', within);
    if (!succeeded(answer)) throw refusal(answer, 'GET /capabilities', within);
    capabilities = parse(capabilitiesSchema, answer, 'GET /capabilities');
    const missing = config.strategies.filter((s) => !capabilities?.strategies.includes(s));
    if (missing.length > 0) {
      throw new TargetRefusedError(
        `${description} can do ${capabilities.strategies.join(', ')}, but the config declares ${missing.join(', ')} for it: remove it from target.strategies or add it to the service`,
      );
    }
    return capabilities;
  }

  /**
   * Whether `desired` asks anything of the capabilities: live traffic (or a mirror) on the candidate.
   * One version serving alone (a withdrawal, a promotion) and an idle candidate at 0% are states
   * every service serves (TrafficState needs only `stable`), so taking traffic away never waits on
   * GET /capabilities: a service that redeployed with a bad answer there still gets its rollback.
   */
  const givesCandidateTraffic = (desired: TrafficState) =>
    (desired.canary?.weight ?? 0) > 0 || (desired.mirror?.share ?? 0) > 0;

  /**
   * The capabilities `desired` must fit, checked against it (none for a state every service serves).
   * A misfit is refused before the PUT (TargetRefusedError): nothing changed, and asking again gets
   * the same answer until the config or the service changes.
   */
  async function checkCapabilities(desired: TrafficState, change: Budget): Promise<void> {
    if (!givesCandidateTraffic(desired)) return;
    const caps = await fetchCapabilities(change);
    const weight = desired.canary?.weight ?? 0;
    if (caps.weights === 'integer') {
      // The strategy's every step, before its first one moves traffic: not half-way through.
      const fractional = weight > 0 ? planned.find((p) => !Number.isInteger(p.weight)) : undefined;
      if (fractional) {
        throw new TargetRefusedError(
          `${fractional.field}: ${description} takes whole percentages of traffic (its /capabilities say weights: integer), got ${fractional.weight}; use whole numbers`,
        );
      }
      if (!Number.isInteger(weight)) {
        throw new TargetRefusedError(`${description} takes whole percentages of traffic, got ${weight}`);
      }
    }
    const mirrored = desired.mirror?.share ?? 0;
    if (mirrored > (caps.mirror?.maxPercent ?? 0)) {
      throw new TargetRefusedError(
        caps.mirror
          ? `${description} mirrors at most ${caps.mirror.maxPercent}% of live traffic, asked for ${mirrored}%: set strategy.share to ${caps.mirror.maxPercent} or less, or raise mirror.maxPercent in the service's /capabilities`
          : `${description} has no mirror in its capabilities, so it cannot shadow ${desired.mirror?.version}: add mirror to the service's /capabilities (once it mirrors requests), or use another strategy than shadow`,
      );
    }
  }

  /**
   * The traffic change to `desired`, all of it within `change`: the capabilities, the PUT's retries
   * and the settling (reconcile's read-back then keeps the same deadline).
   */
  async function changeTo(desired: TrafficState, change: Budget): Promise<void> {
    await checkCapabilities(desired, change);
    const answer = await callPatiently('PUT', '/traffic', change, desired);
    if (!succeeded(answer)) throw refusal(answer, 'PUT /traffic', change, desired);
    change.asked = true;
    // A read that fails and may pass is no failure of the change the service took: the read-back
    // waits again (settleAccepted). A read refused for good, a change still updating, fail it.
    await settleAccepted(() => untilSettled(change), failedReads.has);
  }

  /** What serves, by `GET /traffic` within a change's deadline (the read-back), else a read's own. */
  async function served(within = budget('the read')): Promise<TrafficState> {
    const { updating: _, ...state } = await status(within);
    return state;
  }

  return {
    description,
    identity,
    stickySplit: targetCapabilities('http').sticky,
    capabilities: () => fetchCapabilities(),
    ...changesWithin(config.settleTimeoutMs, clock, changeTo, (_known, change) => served(change)),
  };
}
