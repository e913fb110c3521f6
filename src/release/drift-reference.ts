import { formatDuration } from '../config/duration.js';
import type { DriftWatchConfig } from '../config/types.js';
import type { LedgerEntry } from '../ledger/ledger.js';
import { utcMinute } from '../report/format.js';
import type { DriftSpan } from './drift-alert.js';

/** Since when the watched version serves, as the ledger knows it, and how to say so. */
interface ServingSince {
  at: number;
  /** `v2 was promoted`, `the rollback to v1`: the change that put it in place. */
  change: string;
}

/**
 * The ledger's newest promotion or rollback: `version` serves since then. Where that entry is of
 * another version (the platform was changed outside model-gate), `version` began serving at some
 * unknown time after it: that entry is still the earliest the reference may start. No entry: none.
 */
export function servingSince(history: LedgerEntry[], version: string): ServingSince | undefined {
  const last = history.at(-1);
  if (!last) return undefined;
  if (last.version !== version)
    return {
      at: last.at,
      change: `the ledger's last change (${last.previous} → ${last.version}; ${version} serves since by a change not on record)`,
    };
  return {
    at: last.at,
    change: last.kind === 'promotion' ? `${version} was promoted` : `the rollback to ${version}`,
  };
}

/**
 * Why the watch cannot look yet, or undefined once it can: the reference window (and the window
 * after it) must hold the watched version's own predictions only. Before its whole reference has
 * passed since the version began serving, it would hold the version before it, and a model change
 * the release gates already judged would read as drift of the new version.
 */
export function referenceFilling(
  since: ServingSince | undefined,
  watch: Pick<DriftWatchConfig, 'windowMs' | 'referenceMs'>,
  now: number,
): string | undefined {
  if (!since) return undefined;
  const firstLook = since.at + watch.referenceMs + watch.windowMs;
  if (now >= firstLook) return undefined;
  const windows = `the last ${formatDuration(watch.windowMs)} against the ${formatDuration(watch.referenceMs)} before`;
  return `the reference window since ${since.change} at ${utcMinute(since.at)} is still filling; the first look (${windows}, all after it) is due at ${utcMinute(firstLook, 'up')}`;
}

/** The windows one look compares, and how its notes name them. */
export interface DriftWindows {
  recent: { since: number; until: number };
  reference: { since: number; until: number };
  words: string;
}

/**
 * The recent window and the reference before it. While a drift is on record, the reference is the
 * one the look that found it judged against, from before the shift: a sliding reference fills with
 * the shifted predictions within `reference` plus `window`, and the shift held would then read as
 * "no drift" and end the drift on record though nothing came back. After a drift ends, it stays so
 * until the sliding reference starts past the end: before then it still holds shifted predictions,
 * and the normal ones would read as a new drift from them. `drifts`: newest first (driftsOnRecord).
 */
export function driftWindows(
  watch: Pick<DriftWatchConfig, 'windowMs' | 'referenceMs'>,
  now: number,
  drifts: DriftSpan[] = [],
): DriftWindows {
  const last = `the last ${formatDuration(watch.windowMs)}`;
  const recent = { since: now - watch.windowMs, until: now };
  // Back through the drifts whose span, from the window that found it to its end, the reference
  // of the look at `at` would hold: the reference is the one of the look that found the first.
  let at = now;
  let first: DriftSpan | undefined;
  for (const d of drifts) {
    if (d.ended !== undefined && at - watch.windowMs - watch.referenceMs >= d.ended) break;
    // A start stamped by another clock (GitHub's) later than this look's is taken as now.
    at = Math.min(d.since, at);
    first = d;
  }
  const until = at - watch.windowMs;
  const found =
    first &&
    `the drift found at ${utcMinute(at)}${first.ended === undefined ? '' : `, over at ${utcMinute(first.ended)}`}`;
  return {
    recent,
    reference: { since: until - watch.referenceMs, until },
    words: `${last} against the ${formatDuration(watch.referenceMs)} before${found ? ` ${found}` : ''}`,
  };
}
