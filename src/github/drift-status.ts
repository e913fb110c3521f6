import { clip } from '../core/text.js';
import type { DriftRecord } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import type { GitHubClient } from './client.js';
import type { Deployments } from './deployments.js';
import type { Repo } from './repo-files.js';

/**
 * How many of a deployment's newest statuses are read to find when its drift began: runs before
 * drift alerted once added a `failure` per drifted tick (96 a day at 15-minute ticks).
 */
const STATUS_PAGE = 100;
/** GitHub keeps this much of a status's description (the client clips too; a bare one does not). */
const DESCRIPTION_MAX = 140;

/**
 * A drift on GitHub is the `failure` status on the deployment of the drifted version (its newest
 * promotion or rollback, serving now), on the Deployments page: set once, when the drift begins,
 * with the run as its log; its end puts back the state it had before (`success`, or `inactive`
 * where the version had been replaced then came back outside model-gate), saying "drift over".
 * A version promoted or rolled back to since has a deployment of its own, so starts fresh. A
 * version with no deployment (changed outside model-gate) has nowhere to keep it: each drifted
 * look is a start, as before.
 */
export async function recordDriftStatus(
  client: GitHubClient,
  repo: Repo,
  deployments: Deployments,
  report: DriftReport,
  runUrl: string | undefined,
): Promise<DriftRecord> {
  // The tick's drift watch read the model's history just before: serving takes that list, no request.
  const serving = await deployments.serving(report.model, report.version);
  if (!serving) return { change: report.drifted ? 'began' : 'none' };
  const { data: statuses } = await client.rest.repos.listDeploymentStatuses({
    ...repo,
    deployment_id: serving.id,
    per_page: STATUS_PAGE,
  });
  // Newest first: the drift on record is the newest statuses that are failures, the first of them its start.
  const failures = statuses.findIndex((s) => s.state !== 'failure');
  const drift = statuses.slice(0, failures < 0 ? statuses.length : failures);
  const first = drift.at(-1);
  const set = (state: 'failure' | 'success' | 'inactive', description: string) =>
    deployments.status(serving.id, state, clip(description, DESCRIPTION_MAX), runUrl);
  if (!first) {
    if (!report.drifted) return { change: 'none' };
    await set('failure', report.note);
    return { change: 'began' };
  }
  const since = Date.parse(first.created_at);
  const on = { since, ...(first.log_url ? { by: first.log_url } : {}) };
  if (report.drifted) return { change: 'continues', ...on };
  const before = statuses[drift.length]?.state === 'inactive' ? 'inactive' : 'success';
  await set(before, `drift over: ${report.note}`);
  return { change: 'ended', ...on };
}
