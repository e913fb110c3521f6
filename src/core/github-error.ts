import { safeUrl } from './safe-url.js';
import { clip } from './text.js';

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
  const message = gitHubWords(error);
  // A try that timed out or lost its connection: Octokit gives it status 500, with no response.
  if (e.status === 500 && !(error as { response?: unknown }).response)
    return `No answer from GitHub${where}: ${message}`;
  const missing = e.status === 403 && permissionHint ? missingPermission(message, e.request.url) : undefined;
  const hint = missing ? ` (the token lacks ${missing}: add it to the workflow's permissions)` : '';
  return `GitHub answered ${e.status}${where}: ${message}${hint}`;
}

/** As much of an answer that is not GitHub's JSON (a proxy's text, say) as a one-line message keeps. */
const TEXT_MAX = 200;

/**
 * What GitHub's answer says: its JSON's message (up to the " - " before its docs
 * link); an HTML page (GitHub's "Unicorn!" page of a 502 or 504, which Octokit makes the message
 * whole: thousands of characters, one line of the job summary per line of markup) named, not
 * quoted; other text on one line, cut short.
 */
function gitHubWords(error: unknown): string {
  const e = error as { status?: number; message?: string; response?: { headers?: Record<string, unknown> } };
  const text = e.message ?? '';
  const type = String(e.response?.headers?.['content-type'] ?? '');
  if (/^\s*<(!doctype|html|\?xml|head|body)\b/i.test(text) || /^text\/html\b/i.test(type)) {
    return (e.status ?? 0) >= 500
      ? "GitHub's error page (a server error on GitHub's side); re-run once GitHub answers"
      : 'an HTML page, not an answer of the GitHub API (a proxy in between, or GITHUB_API_URL not an API)';
  }
  if (type === '' || /\bjson\b/i.test(type)) return text.split(' - ')[0] ?? '';
  return clip(text.replace(/\s+/g, ' ').trim(), TEXT_MAX);
}

/**
 * The workflow permission each API path model-gate calls needs, as the README's workflow grants
 * them. Deployments come before statuses: a deployment's statuses are under /deployments/N/statuses.
 * A comment on a PR is an issue comment, which `pull-requests: write` allows (as `issues: write` does).
 * Reading a commit's statuses (commits/{ref}/statuses, or its combined /status) needs only
 * `statuses: read`, as GitHub documents it; `write`, which the README grants, includes it.
 */
const PERMISSION_OF_PATH: [RegExp, string][] = [
  [/\/issues\/(\d+\/comments|comments\/\d+)\b/, 'pull-requests: write'],
  [/\/pulls\//, 'pull-requests: write'],
  [/\/deployments\b/, 'deployments: write'],
  [/\/statuses\//, 'statuses: write'],
  [/\/commits\/[^?#]+\/status(es)?$/, 'statuses: read'],
  [/\/actions\/runs\/\d+\/rerun/, 'actions: write'],
  [/\/contents\//, 'contents: read'],
  [/\/compare\//, 'contents: read'],
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
