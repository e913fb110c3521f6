import type { Ledger } from '../ledger/ledger.js';
import { utcMinute } from '../report/format.js';
import type { DriftReport } from './drift-watch.js';

/**
 * What a ledger made of a drift watch's verdict on the version serving (Ledger.recordDrift). A
 * drift alerts on its start only, as alerting rules fire on a change of state, not on every
 * evaluation: a tick every 15 minutes would otherwise fail its run and tell the PR again each time.
 * - `began`: no drift of this version was on record; it is now, and the run alerts.
 * - `continues`: a drift on record since `since` (alerted by run `by`, where known): nothing new.
 * - `ended`: no drift in this look, after the one on record: its end is recorded, so a later drift
 *   alerts again.
 * - `none`: no drift, and none on record.
 * A version promoted or rolled back to since starts fresh: an earlier drift is not its own.
 */
export type DriftRecord = (
  | { change: 'began' | 'none' }
  | { change: 'continues' | 'ended'; since: number; by?: string }
) & {
  /**
   * The version's drifts on record that ended before the one on record (or before now), newest
   * first, where the ledger keeps them: the watch's reference skips their span (drift-reference.ts).
   */
  over?: Required<DriftSpan>[];
};

/** A drift on record: found at `since`, over at `ended` (none: it goes on). */
export interface DriftSpan {
  since: number;
  ended?: number;
}

/** A drift this look found begun: the run fails on it and the PR that brought the version is told. */
export const alertsNow = (d: DriftReport): boolean => d.drifted && d.alerted === undefined;

/** The report as its record makes it: a drift alerted before, or one ended, says since when and by whom. */
export function withRecord(report: DriftReport, record: DriftRecord): DriftReport {
  if (!('since' in record)) return report;
  const first = `first alerted by ${record.by ?? 'the tick then'}`;
  if (record.change === 'ended')
    return {
      ...report,
      // Judged against the reference from before the drift (driftWindows); the look says why it ends.
      note: `${report.note}; drift over: ${report.overWhy ?? 'no drift in this look'} (drifting since ${utcMinute(record.since)}, ${first})`,
    };
  const alerted = { since: record.since, ...(record.by === undefined ? {} : { by: record.by }) };
  const note = `${report.note}; still drifting since ${utcMinute(record.since)} (${first}): no new alert until the drift ends`;
  return { ...report, alerted, note };
}

/**
 * The drifts of `version` on record, newest first: the one going on, if any, then those that ended
 * (where the ledger keeps them). Read as a dry run reads it, recording nothing (a drifted look would
 * continue it). The watch judges against the reference from before them (driftWindows).
 */
export async function driftsOnRecord(
  ledger: Pick<Ledger, 'recordDrift'>,
  model: string,
  version: string,
  at: number,
): Promise<DriftSpan[]> {
  const look: DriftReport = { model, version, drifted: true, note: '' };
  const record = await ledger.recordDrift(look, at, { dryRun: true });
  const over = record.over ?? [];
  return record.change === 'continues' ? [{ since: record.since }, ...over] : over;
}

/**
 * The drift of `version` on record and not over (when it began, who was told), read as a dry run
 * reads it: for a look that cannot say itself (a blind watch, command status).
 */
export async function openDrift(
  ledger: Pick<Ledger, 'recordDrift'>,
  model: string,
  version: string,
  at: number,
): Promise<{ since: number; by?: string } | undefined> {
  const record = await ledger.recordDrift({ model, version, drifted: true, note: '' }, at, { dryRun: true });
  if (record?.change !== 'continues') return undefined;
  return { since: record.since, ...(record.by === undefined ? {} : { by: record.by }) };
}

/**
 * A look with no verdict (`report`: inconclusive, its version known) with the drift of that version
 * on record and not over (openDrift): a blind watch must not hide that the drift goes on.
 */
export async function withOpenDrift(
  ledger: Pick<Ledger, 'recordDrift'>,
  report: DriftReport,
  at: number,
): Promise<DriftReport> {
  if (!report.version) return report;
  const open = await openDrift(ledger, report.model, report.version, at);
  if (open === undefined) return report;
  return { ...report, note: `${report.note}; a drift on record since ${utcMinute(open.since)}, not over` };
}
