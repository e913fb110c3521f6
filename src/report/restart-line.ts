import type { Release, ReleaseStatus } from '../release/types.js';
import { headName } from '../version/head-name.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { namesItsShare } from './format.js';

/**
 * Where the line is said: while analysing, and on this head's outcome (ready, failed), which a
 * reader compares with what the report said before the push. Once promoted or withdrawn, the end
 * is the news.
 */
const SAID_WHILE: ReadonlySet<ReleaseStatus> = new Set(['analysing', 'ready', 'failed']);

/**
 * `restarted for head 4a8be5e: the analysis of v2 at 98c45bb (step 3 of 4, 50%) was superseded
 * and its traffic withdrawn`: the line under a release that a new head of its PR started in place
 * of one in flight (Release.restartedFrom), so that the report's fall back to the first step reads
 * as a restart, not a fault. Undefined for any other release, and once it is promoted or withdrawn.
 */
export function restartLine(r: Release): string | undefined {
  const from = r.restartedFrom;
  if (!from || !SAID_WHILE.has(r.status)) return undefined;
  const head =
    r.headSha === undefined ? '' : ` for ${r.headSha === WORKING_TREE ? '' : 'head '}${headName(r.headSha)}`;
  const at = from.head === undefined ? '' : ` at ${headName(from.head)}`;
  const stood = from.ready
    ? 'passed, ready to merge'
    : from.phase
      ? phaseWords(from.phase)
      : 'not yet deployed';
  const out = from.withdrawPending
    ? ', its withdrawal not confirmed'
    : from.ready
      ? ' and its candidate withdrawn'
      : from.phase
        ? ' and its traffic withdrawn'
        : '';
  return `restarted${head}: the analysis of ${from.version}${at} (${stood}) was superseded${out}`;
}

/** `step 3 of 4, 50%`; the name alone where it says the share (`canary 10%`) or there is none. */
function phaseWords({ name, weight }: { name: string; weight: number }): string {
  return weight > 0 && !namesItsShare({ name, weight }) ? `${name}, ${weight}%` : name;
}
