import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';

export type GitHubClient = ReturnType<typeof getOctokit>;

/** GitHub's answer for something (a comment, a pull request, a deployment) that is not there. */
export const isNotFound = (error: unknown) => (error as { status?: number }).status === 404;

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
 */
export function gitHubClient(opts: ClientOptions): GitHubClient {
  const retries = opts.retries ?? 3;
  return getOctokit(
    opts.token,
    {
      baseUrl: opts.baseUrl,
      retry: { retries, doNotRetry: [400, 401, 403, 404, 410, 422, 451] },
      throttle: {
        onRateLimit: (
          retryAfter: number,
          options: { method: string; url: string },
          _o: unknown,
          count: number,
        ) => {
          opts.warn(`GitHub rate limit on ${options.method} ${options.url}: retrying in ${retryAfter}s`);
          return count < retries;
        },
        onSecondaryRateLimit: (
          retryAfter: number,
          options: { method: string; url: string },
          _o: unknown,
          count: number,
        ) => {
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
