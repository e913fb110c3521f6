import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { safeUrl } from '../core/safe-url.js';

export type GitHubClient = ReturnType<typeof getOctokit>;

/** GitHub's answer for something (a comment, a pull request, a deployment) that is not there. */
export const isNotFound = (error: unknown) => (error as { status?: number }).status === 404;

/** An error of a request to the GitHub API (Octokit's RequestError): it has a status and the request. */
export const isGitHubError = (error: unknown): boolean =>
  typeof (error as { status?: unknown })?.status === 'number' &&
  typeof (error as { request?: unknown })?.request === 'object';

/**
 * A GitHub API error in one line, for a message a user reads: the status, the request and
 * GitHub's message; anything else as its message.
 */
export function describeGitHubError(error: unknown): string {
  const e = error as { status?: number; message?: string; request?: { method?: string; url?: string } };
  if (!isGitHubError(error) || !e.request) return e.message ?? String(error);
  const where = e.request.url
    ? ` to ${e.request.method ?? ''} ${safeUrl(e.request.url)}`.replace('  ', ' ')
    : '';
  return `GitHub answered ${e.status}${where}: ${(e.message ?? '').split(' - ')[0]}`;
}

/**
 * Request options for a write its caller retries itself, rebuilding it from a fresh read: sent
 * as it is, or failed at once, never re-sent later by the client with what is by then stale.
 */
export const SEND_ONCE = { request: { retries: 0 } } as const;

/**
 * How long GitHub asks to wait before a failed request is worth sending again (a rate limit,
 * a server error), in ms; undefined when sending it again would not help.
 */
export function retryDelayOf(error: unknown, attempt: number, now: number): number | undefined {
  const { status, response } = error as { status?: number; response?: { headers?: Record<string, unknown> } };
  const headers = response?.headers ?? {};
  if (status === undefined) return undefined;
  if (status >= 500) return 1000 * (attempt + 1) ** 2;
  if (status !== 403 && status !== 429) return undefined;
  if (headers['retry-after'] !== undefined) return Number(headers['retry-after']) * 1000;
  if (String(headers['x-ratelimit-remaining']) === '0') {
    return Math.max(0, Number(headers['x-ratelimit-reset']) * 1000 - now) + 1000;
  }
  return undefined;
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
  /** Retries for 5xx and rate limits; tests lower it. */
  retries?: number;
}

/**
 * Octokit with retry (5xx, with backoff) and throttling (primary and secondary rate
 * limits, waiting as long as GitHub asks). Other 4xx are not retried: they are ours to fix.
 * A request sent with `SEND_ONCE` is never retried here: its caller does it.
 */
export function gitHubClient(opts: ClientOptions): GitHubClient {
  const retries = opts.retries ?? 3;
  return getOctokit(
    opts.token,
    {
      baseUrl: opts.baseUrl,
      retry: { retries, doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
      throttle: {
        onRateLimit: (retryAfter: number, options: RequestOptions, _o: unknown, count: number) => {
          if (sentOnce(options)) return false;
          opts.warn(`GitHub rate limit on ${options.method} ${options.url}: retrying in ${retryAfter}s`);
          return count < retries;
        },
        onSecondaryRateLimit: (retryAfter: number, options: RequestOptions, _o: unknown, count: number) => {
          if (sentOnce(options)) return false;
          opts.warn(
            `GitHub secondary rate limit on ${options.method} ${options.url}: retrying in ${retryAfter}s`,
          );
          return count < retries;
        },
      },
    },
    retry,
    throttling,
  );
}
