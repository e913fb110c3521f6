import { AsyncLocalStorage } from 'node:async_hooks';
import { getOctokit } from '@actions/github';
import { defaults as actionsDefaults } from '@actions/github/lib/utils';
import { retry } from '@octokit/plugin-retry';
import { type ThrottlingOptions, throttling } from '@octokit/plugin-throttling';
import { describeGitHubError, isGitHubError } from '../core/github-error.js';
import { redact, redactNotes } from '../core/redact.js';
import { retryAfterMs } from '../core/retry-after.js';
import { clip } from '../core/text.js';

export { describeGitHubError, isGitHubError };

export type GitHubClient = ReturnType<typeof getOctokit>;

/** GitHub's answer for something (a comment, a pull request, a deployment) that is not there. */
export const isNotFound = (error: unknown) => (error as { status?: number }).status === 404;

/**
 * Request options for a write its caller retries itself, rebuilding it from a fresh read: sent
 * as it is, or failed at once, never re-sent later by the client with what is by then stale.
 */
export const SEND_ONCE = { request: { retries: 0 } } as const;

/** Set while `sendingOnce` runs: the requests made meanwhile go out as SEND_ONCE. */
const once = new AsyncLocalStorage<true>();

/**
 * Runs `write`, each GitHub request it makes sent once (SEND_ONCE): not retried, no rate limit
 * waited out, GitHub's refusal thrown at once. For a best-effort write made by code that builds its
 * own requests (a commit status), where waiting would hold back what comes next (a traffic change).
 */
export const sendingOnce = <T>(write: () => Promise<T>): Promise<T> => once.run(true, write);

/** GitHub's word for a secondary rate limit, in the message of its 403 or 429 (as the throttling plugin reads it). */
const SECONDARY_LIMIT = /\bsecondary rate\b/i;

/**
 * GitHub's rule for a secondary rate limit that comes without retry-after: wait at least a
 * minute, then longer each time it comes again.
 */
const SECONDARY_LIMIT_WAIT_MS = 60_000;

/**
 * The longest a rate limit is waited out. A primary limit resets up to an hour later; waited
 * out, the run would stall that long with its candidate keeping its traffic and no gate checked.
 * Past this, the request fails (with `explainRateLimit`'s words) and the run ends safe.
 */
export const RATE_LIMIT_WAIT_MAX_MS = 5 * 60_000;

/**
 * How long GitHub asks to wait before a failed request is worth sending again (a rate limit,
 * a server error), in ms; undefined when sending it again would not help. A rate limit asking
 * for longer than RATE_LIMIT_WAIT_MAX_MS gets that much on the first attempt, then no more: the
 * first answer still says "refused for now" to callers that ask only that (a routine comment
 * update left for later, a fork's write not taken for a read-only token).
 */
export function retryDelayOf(error: unknown, attempt: number, now: number): number | undefined {
  const { status, response, message } = error as {
    status?: number;
    message?: string;
    response?: { headers?: Record<string, unknown> };
  };
  const headers = response?.headers ?? {};
  if (status === undefined) return undefined;
  if (status >= 500) return backoffMs(attempt);
  if (status !== 403 && status !== 429) return undefined;
  const wait = rateLimitWait(headers, message, attempt, now);
  if (wait === undefined || wait <= RATE_LIMIT_WAIT_MAX_MS) return wait;
  return attempt === 0 ? RATE_LIMIT_WAIT_MAX_MS : undefined;
}

/** The wait a rate limit asks for, in ms, however long; undefined for another 403 or 429. */
function rateLimitWait(
  headers: Record<string, unknown>,
  message: string | undefined,
  attempt: number,
  now: number,
) {
  // Seconds or, as RFC 9110 also allows, an HTTP date; one unreadable leaves it to the signals below.
  const retryAfter = headers['retry-after'];
  const asked = retryAfterMs(retryAfter === undefined ? undefined : String(retryAfter), now);
  if (asked !== undefined) return asked;
  if (isPrimaryLimit(headers)) return Math.max(0, Number(headers['x-ratelimit-reset']) * 1000 - now) + 1000;
  if (SECONDARY_LIMIT.test(message ?? '')) return SECONDARY_LIMIT_WAIT_MS * 2 ** attempt;
  return undefined;
}

const isPrimaryLimit = (headers: Record<string, unknown>) => String(headers['x-ratelimit-remaining']) === '0';

/** The retry plugin's backoff before try `attempt + 1` of a request: 1, 4, 9 s. */
const backoffMs = (attempt: number) => 1000 * (attempt + 1) ** 2;

/**
 * How long to wait before sending again a request refused 429 by something other than GitHub's
 * own rate limits (those, recognised as the throttling plugin does, are its to wait out): a GitHub
 * Enterprise Server's limit, a proxy or gateway before the API. The wait its retry-after asks
 * for (retryDelayOf's), else the retry plugin's backoff; undefined for a retry-after longer than
 * model-gate waits (sent again sooner, it would be refused again) or one neither seconds nor a date.
 */
function plainTooManyRequestsWait(error: unknown, attempt: number): number | undefined {
  const { status, message, response } = error as {
    status?: number;
    message?: string;
    response?: { headers?: Record<string, unknown>; data?: { errors?: { type?: string }[] } };
  };
  const headers = response?.headers ?? {};
  const githubLimit =
    SECONDARY_LIMIT.test(message ?? '') ||
    isPrimaryLimit(headers) ||
    (response?.data?.errors ?? []).some((e) => e?.type === 'RATE_LIMITED');
  if (status !== 429 || githubLimit) return undefined;
  const retryAfter = headers['retry-after'];
  if (retryAfter === undefined) return backoffMs(attempt);
  const asked = retryAfterMs(String(retryAfter), Date.now());
  return asked !== undefined && asked <= RATE_LIMIT_WAIT_MAX_MS ? asked : undefined;
}

/**
 * A request refused by the primary rate limit, its message saying which limit, when it resets
 * and what to do (as describeGitHubError shows it: GitHub's message, up to its first " - ").
 */
function explainRateLimit(error: unknown): unknown {
  const e = error as { status?: number; message?: string; response?: { headers?: Record<string, unknown> } };
  const headers = e.response?.headers ?? {};
  if ((e.status !== 403 && e.status !== 429) || !isPrimaryLimit(headers) || !(error instanceof Error))
    return error;
  const reset = Number(headers['x-ratelimit-reset']) * 1000;
  const limit = Number(headers['x-ratelimit-limit']);
  const minutes = Math.max(1, Math.round((reset - Date.now()) / 60_000));
  const [github = '', ...rest] = error.message.split(' - ');
  const explained = [
    `${github.replace(/\.?\s*$/, '.')} GitHub's rate limit for this token`,
    limit > 0 ? ` (${limit} requests an hour)` : '',
    ' is used up',
    Number.isFinite(reset)
      ? ` until ${new Date(reset).toISOString().slice(11, 16)} UTC (in ${minutes} min)`
      : '',
    reset - Date.now() > RATE_LIMIT_WAIT_MAX_MS
      ? `, longer than model-gate waits (${RATE_LIMIT_WAIT_MAX_MS / 60_000} min) while a candidate may be live.`
      : '.',
    " A workflow's GITHUB_TOKEN allows 1,000 requests an hour per repository, shared by every job and scheduled tick",
    ' in it: run fewer at once (a smaller matrix, a sparser schedule), or pass another token as github-token;',
    ' a personal access token or a GitHub App token has a limit of its own',
  ].join('');
  error.message = [explained, ...rest].join(' - ');
  return error;
}

/** What the throttling plugin tells its handlers of the request GitHub refused. */
interface RequestOptions {
  method: string;
  url: string;
  request?: object;
}

const sentOnce = (options: RequestOptions) =>
  (options.request as { retries?: number } | undefined)?.retries === SEND_ONCE.request.retries;

export interface ClientOptions {
  token: string;
  /** GITHUB_API_URL: api.github.com or a GitHub Enterprise Server. */
  baseUrl: string;
  warn(message: string): void;
  /**
   * Retries for 5xx and rate limits; tests lower it. 0: every request is sent once (as SEND_ONCE),
   * no rate limit waited out: a client for reads that must answer quickly or fail.
   */
  retries?: number;
  /** Test-only: see `testWaitScale`. */
  waitScale?: number;
  /** How long one try of a request may take (REQUEST_TIMEOUT_MS); tests lower it. */
  timeoutMs?: number;
}

/**
 * How long one try of a request may take, its answer read whole. GitHub ends a request of its own
 * after 10 s (its 502 or 504 page); a connection that stalls with no answer would otherwise stall
 * the job until the workflow's timeout, a candidate keeping its traffic meanwhile. Timed out, the
 * try fails as a lost connection does (status 500): retried, or (a write sent once) its caller's.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

type Fetch = typeof globalThis.fetch;

/**
 * @actions/github's request options (its proxy-aware fetch, from the runner's proxy settings),
 * each try of a request given `ms` to finish. Given whole: Octokit takes an option's `request` in
 * place of its defaults', so the proxy's agent and fetch are kept here.
 */
function timedRequest(ms: number) {
  const request = (actionsDefaults.request ?? {}) as { fetch?: Fetch };
  const fetch: Fetch = request.fetch ?? globalThis.fetch;
  const timed: Fetch = (url, init = {}) => {
    const timeout = AbortSignal.timeout(ms);
    return fetch(url, { ...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
  };
  return { ...request, fetch: timed };
}

/**
 * Test-only, never set in real use: `MODEL_GATE_TEST_GITHUB_WAIT_SCALE`, a factor in (0, 1) that
 * shortens every wait of the client (1 s between writes, 3 s between comments, the 1, 4, 9 s
 * backoff after a 5xx, the wait a rate limit asks for), so tests of the bundled action need not
 * spend GitHub's real seconds. Unset, or anything else: 1, GitHub's own pacing.
 */
export function testWaitScale(env: Record<string, string | undefined> = process.env): number {
  const scale = Number(env.MODEL_GATE_TEST_GITHUB_WAIT_SCALE);
  return scale > 0 && scale < 1 ? scale : 1;
}

/**
 * One of the throttling plugin's queues (one request at a time, `ms` apart: a second for writes,
 * three for writes that notify people, such as comments), with its own spacing; of its
 * Bottleneck group the plugin calls only `key(id).schedule(job, send)`.
 */
function spaced(ms: number): ThrottlingOptions['write'] {
  let tail: Promise<unknown> = Promise.resolve();
  let last = 0;
  const schedule = (_job: unknown, send: () => Promise<unknown>) => {
    const next = tail.then(async () => {
      const wait = last + ms - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      last = Date.now();
      return send();
    });
    tail = next.catch(() => {});
    return next;
  };
  return { key: () => ({ schedule }) } as unknown as ThrottlingOptions['write'];
}

/**
 * Octokit with retry (5xx, with backoff) and throttling (primary and secondary rate
 * limits, waiting as long as GitHub asks, up to RATE_LIMIT_WAIT_MAX_MS); another 429 (a GitHub
 * Enterprise Server's or a proxy's) is sent again after its retry-after, or the same backoff as a
 * 5xx. Other 4xx are not retried: they are ours to fix.
 * A request sent with `SEND_ONCE` is never retried here: its caller does it.
 */
export function gitHubClient(opts: ClientOptions): GitHubClient {
  const retries = opts.retries ?? 3;
  const scale = opts.waitScale ?? testWaitScale();
  // The plugins' defaults: a second per unit of wait; writes 1 s, comments 3 s, searches 2 s apart.
  const second = 1000 * scale;
  // A rate limit waited out: not for a request sent once, nor past the longest wait, nor after the last try.
  const waitsOut = (retryAfter: number, options: RequestOptions, count: number) =>
    retries > 0 && !sentOnce(options) && retryAfter * 1000 <= RATE_LIMIT_WAIT_MAX_MS && count < retries;
  const spacing =
    scale < 1 ? { write: spaced(second), notifications: spaced(3 * second), search: spaced(2 * second) } : {};
  const octokit = getOctokit(
    opts.token,
    {
      baseUrl: opts.baseUrl,
      request: timedRequest(opts.timeoutMs ?? REQUEST_TIMEOUT_MS),
      // 403 and 429 (GitHub's rate limits among them) are the throttling plugin's: it waits as GitHub
      // asks, where the retry plugin would send again 1, 4, 9 s later, each request sent while limited.
      // A 429 it does not take for GitHub's limit is sent again by the wrap below.
      retry: { retries, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451], retryAfterBaseValue: second },
      throttle: {
        retryAfterBaseValue: second,
        ...spacing,
        // retryAfter: GitHub's seconds, before the test-only scale.
        onRateLimit: (retryAfter: number, options: RequestOptions, _o: unknown, count: number) => {
          if (!waitsOut(retryAfter, options, count)) return false;
          opts.warn(`GitHub rate limit on ${options.method} ${options.url}: retrying in ${retryAfter}s`);
          return true;
        },
        onSecondaryRateLimit: (retryAfter: number, options: RequestOptions, _o: unknown, count: number) => {
          if (!waitsOut(retryAfter, options, count)) return false;
          opts.warn(
            `GitHub secondary rate limit on ${options.method} ${options.url}: retrying in ${retryAfter}s`,
          );
          return true;
        },
      },
    },
    retry,
    throttling,
  );
  // Registered after the plugins' hooks, so it wraps them: a 429 they leave alone (not GitHub's
  // own limit) is sent again here, as the retry plugin did before 429 became the throttling plugin's.
  octokit.hook.wrap('request', async (send, options) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(options);
      } catch (error) {
        const wait =
          attempt < retries && !sentOnce(options) ? plainTooManyRequestsWait(error, attempt) : undefined;
        if (wait === undefined) throw error;
        opts.warn(
          `Too many requests (HTTP 429) on ${options.method} ${options.url}: retrying in ${wait / 1000}s`,
        );
        await new Promise((resolve) => setTimeout(resolve, wait * scale));
      }
    }
  });
  octokit.hook.before('request', redactWrites);
  // Before the plugins' hooks, which read the option (a copy: the client's defaults are shared).
  octokit.hook.before('request', (options) => {
    if (once.getStore()) options.request = { ...options.request, ...SEND_ONCE.request };
  });
  // Registered after the plugins' hooks, so it wraps them: it sees the error they finally give up on.
  octokit.hook.error('request', (error) => {
    throw explainRateLimit(error);
  });
  return octokit;
}

/** GitHub keeps this much of a status's or a deployment's description. */
const DESCRIPTION_MAX = 140;

/**
 * The runner masks secrets in its log only: a commit status or a deployment goes to GitHub as
 * sent, so its text has every secret model-gate knows replaced by `***` (a deployment's payload,
 * read back as the audit trail, only in its free text). A comment's body: composeBody redacts it.
 * A description is cut to GitHub's length here, after redaction: a secret cut first would no
 * longer match and its head would go out.
 */
function redactWrites(options: Record<string, unknown>): void {
  if (options.method === 'GET') return;
  if (typeof options.description === 'string')
    options.description = clip(redact(options.description), DESCRIPTION_MAX);
  if (options.payload !== undefined) options.payload = redactNotes(options.payload);
}
