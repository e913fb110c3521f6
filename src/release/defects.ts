import { ModelGateError } from '../core/errors.js';
import { redact } from '../core/redact.js';

// Defects: errors of no class model-gate knows, so bugs in model-gate itself. Wherever a run meets
// one (a tick, a rollback, a retried withdrawal, the post step), it tells them apart the same way
// and reports them in the same words; what it does next is the caller's (schedule-defects.ts for a tick).

/** `err` as an Error kept in `defects` when it is a defect (isDefect), else undefined. */
export function defectOf(err: unknown, defects: Error[]): Error | undefined {
  if (!isDefect(err)) return undefined;
  const defect = err instanceof Error ? err : new Error(String(err));
  defects.push(defect);
  return defect;
}

/**
 * What a defect's report begins with, saying `when` it was met where the release's own words do not;
 * secrets masked: the record and the PR comment go to GitHub's API as they are, the runner masks only the log.
 */
export const stoppedOn = (defect: Error, when?: string) =>
  redact(`model-gate stopped on an unexpected error${when ? ` ${when}` : ''}: ${defect.message}`);
export const reportIt = (what: string) => `${what}; please report it`;

/**
 * A defect in model-gate: neither one of its failure classes (ModelGateError: a platform, metrics,
 * ledger or input failure, each handled where it is met) nor an answer of GitHub's API (an outage,
 * a rate limit: the next tick resumes the release). GitHub's answer told as isGitHubError tells it,
 * not imported: its module loads the GitHub client, which the engine does not.
 */
export const isDefect = (err: unknown): boolean => {
  const answer = err as { status?: unknown; request?: unknown } | undefined;
  const fromGitHub = typeof answer?.status === 'number' && typeof answer.request === 'object';
  return !(err instanceof ModelGateError) && !fromGitHub;
};
