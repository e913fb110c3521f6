import { z } from 'zod';
import { clip } from '../core/text.js';
import { version } from '../ledger/release-schema.js';
import type { DriftRecord, DriftSpan } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import type { GitHubClient } from './client.js';
import { type Deployment, type Deployments, DRIFT_PAGE, DRIFT_TASK, payloadOf } from './deployments.js';
import type { Repo } from './repo-files.js';

/**
 * How many of a deployment's newest statuses are read to find when its drift began: runs before
 * drift alerted once added a `failure` per drifted tick (96 a day at 15-minute ticks).
 */
const STATUS_PAGE = 100;
/** GitHub keeps this much of a status's description (the client clips too; a bare one does not). */
const DESCRIPTION_MAX = 140;

const driftPayload = z.object({ version, run: z.string().optional() });

/**
 * A read made by a call that wrote nothing (the watch's own look at the record before it picks its
 * reference, drift-alert.ts driftsOnRecord, or a dry run), kept for the next call of the same job on
 * the same deployment: a tick reads the drift on record once, not twice. Taken once.
 */
const unwritten = new WeakMap<Deployments, Map<string, unknown>>();

async function readOnce<T>(
  deployments: Deployments,
  key: string,
  keep: boolean | undefined,
  read: () => Promise<T>,
): Promise<T> {
  const kept = unwritten.get(deployments) ?? new Map<string, unknown>();
  unwritten.set(deployments, kept);
  const data = kept.has(key) ? (kept.get(key) as T) : await read();
  kept.delete(key);
  if (keep) kept.set(key, data);
  return data;
}

/** How a drift is recorded: `sha`, the commit a drift deployment points at (none: none is made); `dryRun`: nothing written. */
export interface DriftStatusOptions {
  sha?: string;
  dryRun?: boolean;
}

/**
 * A drift on GitHub is the `failure` status on the deployment of the drifted version (its newest
 * promotion or rollback, serving now), on the Deployments page: set once, when the drift begins,
 * with the run as its log; its end puts back the state it had before (`success`, or `inactive`
 * where the version had been replaced then came back outside model-gate), saying "drift over".
 * A version promoted or rolled back to since has a deployment of its own, so starts fresh. A
 * version with no deployment (put in place outside model-gate, or its deployment deleted) gets a
 * drift deployment of its own (task `model-gate:drift`) while it drifts (driftOfUnrecorded).
 * Two overlapping ticks may both find a drift begun: the one whose mark came first alerts.
 */
export async function recordDriftStatus(
  client: GitHubClient,
  repo: Repo,
  deployments: Deployments,
  report: DriftReport,
  runUrl: string | undefined,
  opts: DriftStatusOptions = {},
): Promise<DriftRecord> {
  // The tick's drift watch read the model's history just before: serving takes that list, no request.
  const serving = await deployments.serving(report.model, report.version);
  if (!serving) return driftOfUnrecorded(deployments, report, runUrl, opts);
  const read = async (fresh = false) => {
    const list = async () =>
      (
        await client.rest.repos.listDeploymentStatuses({
          ...repo,
          deployment_id: serving.id,
          per_page: STATUS_PAGE,
        })
      ).data;
    const data = fresh
      ? await list()
      : await readOnce(deployments, `statuses ${serving.id}`, opts.dryRun, list);
    // Newest first: the drift on record is the newest statuses that are failures, the first of them its start.
    const failures = data.findIndex((s) => s.state !== 'failure');
    const drift = data.slice(0, failures < 0 ? data.length : failures);
    const first = drift.at(-1);
    return { statuses: data, drift, on: first && onRecord(Date.parse(first.created_at), first.log_url) };
  };
  const { statuses, drift, on } = await read();
  // The drifts that ended before, for the watch's reference (drift-reference.ts driftWindows).
  const over = driftsOver(statuses, drift.length);
  const said = (record: DriftRecord): DriftRecord => (over.length > 0 ? { ...record, over } : record);
  const set = (state: 'failure' | 'success' | 'inactive', description: string) =>
    opts.dryRun
      ? undefined
      : deployments.status(serving.id, state, clip(description, DESCRIPTION_MAX), runUrl);
  if (!on) {
    if (!report.drifted) return said({ change: 'none' });
    if (opts.dryRun) return said({ change: 'began' });
    // The status says the drift; its next step, which would not fit, is in the PR's note and the run.
    await set('failure', withoutNextStep(report));
    // An overlapping tick may have marked it too, before or after: the first mark alerts, once.
    const after = await read(true);
    if (after.on && runUrl !== undefined && after.drift.at(-1)?.log_url !== runUrl)
      return said({ change: 'continues', ...after.on });
    return said({ change: 'began' });
  }
  if (report.drifted) return said({ change: 'continues', ...on });
  const before = statuses[drift.length]?.state === 'inactive' ? 'inactive' : 'success';
  await set(before, `${DRIFT_OVER}${report.note}`);
  return said({ change: 'ended', ...on });
}

const DRIFT_OVER = 'drift over: ';

/**
 * The drifts that ended, newest first, in `statuses` (newest first) from index `from` on: each a
 * "drift over" status and the run of failures before it, the oldest of them its start. Any other
 * status (the Deployment's own) ends the list.
 */
function driftsOver(
  statuses: { state: string; created_at: string; description?: string | null }[],
  from: number,
): Required<DriftSpan>[] {
  const over: Required<DriftSpan>[] = [];
  let i = from;
  for (
    let end = statuses[i];
    end?.state !== 'failure' && end?.description?.startsWith(DRIFT_OVER);
    end = statuses[i]
  ) {
    let j = i + 1;
    while (statuses[j]?.state === 'failure') j++;
    const first = statuses[j - 1];
    if (j === i + 1 || !first) break;
    over.push({ since: Date.parse(first.created_at), ended: Date.parse(end.created_at) });
    i = j;
  }
  return over;
}

const withoutNextStep = (r: DriftReport) =>
  r.nextStep === undefined ? r.note : r.note.replace(`; ${r.nextStep}`, '');

const onRecord = (since: number, by: string | undefined) => ({ since, ...(by ? { by } : {}) });

/** A drift deployment of the model: its id, version, when made, and the run that made it. */
interface DriftMark {
  id: number;
  version: string;
  at: number;
  run?: string;
}

/**
 * The drift of a version with no promotion or rollback on record (drift-watch.ts says so): kept on
 * a drift deployment of the model, made in `failure` when the drift begins, removed (inactive,
 * then deleted) when it ends; one of another version, which no longer serves, is removed too. A
 * quiet tick costs one request, the list. Without `sha` no deployment can be made: each drifted
 * look is a start.
 */
async function driftOfUnrecorded(
  deployments: Deployments,
  report: DriftReport,
  runUrl: string | undefined,
  opts: DriftStatusOptions,
): Promise<DriftRecord> {
  if (opts.sha === undefined) return { change: report.drifted ? 'began' : 'none' };
  const read = async () => marksIn(await deployments.list(report.model, DRIFT_TASK, DRIFT_PAGE));
  const marks = await readOnce(deployments, `marks ${report.model}`, opts.dryRun, read);
  const own = marks.filter((m) => m.version === report.version);
  const remove = async (list: DriftMark[], why: string) => {
    if (opts.dryRun) return;
    for (const m of list) await deployments.remove(m.id, clip(why, DESCRIPTION_MAX));
  };
  await remove(
    marks.filter((m) => m.version !== report.version),
    `${report.version} serves now`,
  );
  // Newest first: the oldest of this version's is the drift's start (a rival tick's later one aside).
  const first = own.at(-1);
  if (first) {
    const on = onRecord(first.at, first.run);
    if (report.drifted) return { change: 'continues', ...on };
    await remove(own, `drift over: ${report.note}`);
    return { change: 'ended', ...on };
  }
  if (!report.drifted) return { change: 'none' };
  if (opts.dryRun) return { change: 'began' };
  const id = await deployments.create(report.model, {
    ref: opts.sha,
    task: DRIFT_TASK,
    payload: { version: report.version, ...(runUrl === undefined ? {} : { run: runUrl }) },
    description: clip(
      `drift of ${report.version}, which serves with no promotion on record`,
      DESCRIPTION_MAX,
    ),
  });
  await deployments.status(id, 'failure', clip(withoutNextStep(report), DESCRIPTION_MAX), runUrl);
  // An overlapping tick may have made one too: the older alerts, this one's is taken back.
  const rival = (await read()).filter((m) => m.version === report.version && m.id < id).at(-1);
  if (!rival) return { change: 'began' };
  await remove([{ id, version: report.version, at: 0 }], 'drift on record already');
  return { change: 'continues', ...onRecord(rival.at, rival.run) };
}

/** The drift marks among `list` whose payload parses, newest first. */
function marksIn(list: Deployment[]): DriftMark[] {
  return list.flatMap((d) => {
    const p = driftPayload.safeParse(payloadOf(d));
    if (!p.success) return [];
    return [{ id: d.id, at: Date.parse(d.created_at), ...p.data }];
  });
}
