import { safeUrl } from './safe-url.js';

// Kept apart from github/client.ts, which loads the GitHub client, so the engine can word
// GitHub's answers too (a schedule tick's model left undriven).

/** An error of a request to the GitHub API (Octokit's RequestError): it has a status and the request. */
export const isGitHubError = (error: unknown): boolean =>
  typeof (error as { status?: unknown })?.status === 'number' &&
  typeof (error as { request?: unknown })?.request === 'object';

/**
 * A GitHub API error in one line, for a message a user reads: the status, the request and
 * GitHub's message; anything else as its message. A request the token has no permission for
 * names the workflow permission it needs (`permissionHint`: not for a fork's read-only token,
 * which no permission in the workflow changes).
 */
export function describeGitHubError(error: unknown, { permissionHint = true } = {}): string {
  const e = error as { status?: number; message?: string; request?: { method?: string; url?: string } };
  if (!isGitHubError(error) || !e.request) return e.message ?? String(error);
  const where = e.request.url
    ? ` to ${e.request.method ?? ''} ${safeUrl(e.request.url)}`.replace('  ', ' ')
    : '';
  const message = (e.message ?? '').split(' - ')[0] ?? '';
  const missing = e.status === 403 && permissionHint ? missingPermission(message, e.request.url) : undefined;
  const hint = missing ? ` (the token lacks ${missing}: add it to the workflow's permissions)` : '';
  return `GitHub answered ${e.status}${where}: ${message}${hint}`;
}

/**
 * The workflow permission each API path model-gate calls needs, as the README's workflow grants
 * them. Deployments come before statuses: a deployment's statuses are under /deployments/N/statuses.
 * A comment on a PR is an issue comment, which `pull-requests: write` allows (as `issues: write` does).
 */
const PERMISSION_OF_PATH: [RegExp, string][] = [
  [/\/issues\/(\d+\/comments|comments\/\d+)\b/, 'pull-requests: write'],
  [/\/pulls\//, 'pull-requests: write'],
  [/\/deployments\b/, 'deployments: write'],
  [/\/statuses\//, 'statuses: write'],
  [/\/actions\/runs\/\d+\/rerun/, 'actions: write'],
  [/\/contents\//, 'contents: read'],
];

/**
 * The permission a 403 says the job's (or an App's) token lacks. GitHub words it "Resource not
 * accessible by integration"; a rate limit's 403 says otherwise, and a later try may pass it.
 */
function missingPermission(message: string, url: string | undefined): string | undefined {
  if (!url || !/resource not accessible by integration/i.test(message)) return undefined;
  const path = url.replace(/[?#].*$/, '');
  return PERMISSION_OF_PATH.find(([pattern]) => pattern.test(path))?.[1];
}
