import { safeUrl } from './safe-url.js';

// Kept apart from github/client.ts, which loads the GitHub client, so the engine can word
// GitHub's answers too (a schedule tick's model left undriven).

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
