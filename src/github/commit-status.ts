import { redact } from '../core/redact.js';
import { servesAfterEnd, withdrawalUnderWay } from '../release/finish.js';
import { MERGED_BRIEF, neverServedCallers } from '../release/phase-notes.js';
import type { Release } from '../release/types.js';
import {
  changeUnderWay,
  couldNotRun,
  mayStillServe,
  releaseWord,
  rollbackNotTakenWithdrawn,
  rollingLeft,
} from '../report/decision.js';
import { notEnoughData } from '../report/not-enough-data.js';
import type { GitHubClient } from './client.js';
import type { Repo } from './repo-files.js';

type State = 'pending' | 'success' | 'failure' | 'error';

const STATE: Partial<Record<Release['status'], State>> = {
  analysing: 'pending',
  ready: 'success',
  promoted: 'success',
  failed: 'failure',
  aborted: 'error',
};

/**
 * The commit status `model-gate/<model>` on the PR's head, so branch protection can
 * require a passing analysis: pending while analysing, success when ready, failure when
 * rolled back. Superseded heads are left alone: their PR has moved on.
 */
export async function setReleaseStatus(
  client: GitHubClient,
  repo: Repo,
  release: Release,
  targetUrl?: string,
): Promise<void> {
  const state = STATE[release.status];
  if (!state || !release.headSha) return;
  await client.rest.repos.createCommitStatus({
    ...repo,
    sha: release.headSha,
    state,
    context: `model-gate/${release.model}`,
    // Redacted and fitted to GitHub's 140 characters here, cut at a word (the client would cut mid-word).
    description: fitted(describe(release)),
    ...(targetUrl ? { target_url: targetUrl } : {}),
  });
}

/**
 * The status's words: an end by command's traffic change under way, refused or unconfirmed, from
 * the record's fields (its reason, written before the change, says what was to be done); a rollback
 * or withdrawal that took on a later try, that first (the reason ends with it, past the 140
 * characters GitHub keeps), then why, or what serves where that is not the rollback's version; a
 * failed release's rollback that did not take, where its candidate may still serve first; else the
 * reason.
 */
function describe(r: Release): string {
  if (withdrawalUnderWay(r)) return changeUnderWay(r);
  const failed = r.ending?.withdrawFailed;
  if (r.withdrawPending && failed && r.status !== 'failed') {
    // Accepted, never read back (the comment: "probably withdrawn"): no failure. Its words come
    // first, as the platform's (a long note) would push them past GitHub's 140 characters.
    if (failed.unconfirmed)
      return `the command's traffic change was accepted, not yet confirmed by a read; ${r.to} is probably withdrawn, the next run checks`;
    return `the command's traffic change failed: ${failed.note}; ${r.to} may still get live traffic, the next run tries again`;
  }
  // A failed release's rollback that did not take: what may still serve first, before GitHub's 140
  // characters cut the why and the platform's words.
  if (r.withdrawPending && failed && r.status === 'failed') return rollbackNotTaken(r, failed);
  if (!r.withdrawPending && failed?.laterTry) {
    // A refused rollback by command whose candidate a later run withdrew: its reason names the
    // rollback's version, and another serves; the comment's words, which say which.
    const notTaken = rollbackNotTakenWithdrawn(r);
    if (notTaken) return notTaken;
    const done = r.status === 'failed' ? `rolled back to ${servesAfterEnd(r)}` : 'withdrawn';
    return `${r.to} ${done} on a later try: ${failed.why}`;
  }
  const ended = endedWords(r);
  if (ended) return ended;
  const why = r.reason ?? r.status;
  // A reason that names the candidate first ("v2 passed its phase; …") is not prefixed with it again.
  return why.startsWith(`${r.to} `) ? why : `${r.to}: ${why}`;
}

/**
 * A rolled-back or withdrawn release's words, as the report's heading words it (releaseWord): what
 * serves and what happened first, then which gate and why, which fitted() cuts to the room left.
 * Undefined for the others, whose reason says it.
 */
function endedWords(r: Release): string | undefined {
  const word = releaseWord(r);
  const serves = servesAfterEnd(r);
  if (word === 'withdrawn') {
    const done = `; ${r.to} withdrawn`;
    const why = r.reason?.endsWith(done) ? r.reason.slice(0, -done.length) : (r.reason ?? r.status);
    return fitted(`${r.to} withdrawn, ${serves} serves: `, why);
  }
  if (word !== 'rolled back' || r.status !== 'failed') return undefined;
  const head = `${r.to} rolled back to ${serves}: `;
  if (couldNotRun(r))
    return fitted(
      `${head}the analysis could not run (`,
      r.reason ?? '',
      r.mergedAt === undefined ? '); push a new commit once it is fixed' : `); ${MERGED_BRIEF}`,
    );
  const few = notEnoughData(r);
  if (few) return fitted(`${head}not enough data (`, few.brief, `); ${few.nextBrief}`);
  const failed = r.gates.filter((g) => g.verdict === 'fail');
  const [gate] = failed;
  // The release's reason, not the gate's: it may say more (`… on its last look at the merge`).
  if (failed.length === 1 && gate && r.reason?.startsWith(`${gate.name}: `)) {
    const note = r.reason.slice(gate.name.length + 2);
    // A latency note names its quantile first (`p95 115 ms on v2 …`), often the gate's own name.
    const said = note.startsWith(`${gate.name} `) ? note.slice(gate.name.length + 1) : note;
    return fitted(`${head}${gate.name} failed (`, said, ')');
  }
  return fitted(head, r.reason ?? 'a gate failed');
}

/** GitHub keeps 140 characters of a description (client.ts cuts any longer, mid-word). */
const STATUS_MAX = 140;

/**
 * `head`, `detail` and `tail` in GitHub's 140 characters: the detail, cut at a word where it must
 * (`…`, its open brackets closed), between the head (what serves, what happened) and the tail
 * (what to do), which stay whole; the whole cut at a word where even they do not fit.
 */
export function fitted(...parts: [head: string, detail?: string, tail?: string]): string {
  // Redacted before the cut, as the client would: a secret cut first would no longer match.
  const [head = '', detail = '', tail = ''] = parts.map((p) => redact(p ?? ''));
  const whole = `${head}${detail}${tail}`;
  if (whole.length <= STATUS_MAX) return whole;
  const room = STATUS_MAX - head.length - tail.length;
  if (room >= 12) {
    const cut = cutAtWord(detail, room);
    if (cut.length <= room) return `${head}${cut}${tail}`;
  }
  return cutAtWord(whole, STATUS_MAX);
}

/** `text` in at most `max` characters, cut after a whole word with `…` and its open brackets closed. */
function cutAtWord(text: string, max: number): string {
  if (text.length <= max) return text;
  for (let end = max - 1; end > 0; end--) {
    if (text[end] !== ' ') continue;
    const kept = text.slice(0, end).replace(/[\s,;:(]+$/, '');
    const open = (kept.match(/\(/g) ?? []).length - (kept.match(/\)/g) ?? []).length;
    const cut = `${kept}…${')'.repeat(Math.max(0, open))}`;
    if (cut.length <= max) return cut;
  }
  // One word longer than the room: cut where it is no token (a secret's head is one).
  const token = text.slice(0, max - 1).search(/[^\w.-]*[\w.-]*$/);
  return `${text.slice(0, token)}…`;
}

/** `v3 may still take all live traffic: the rollback to v1 failed; errors: 8.06% is above …`. */
function rollbackNotTaken(r: Release, failed: { why: string; note: string; unconfirmed?: true }): string {
  if (failed.unconfirmed)
    return `${r.to} is probably rolled back to ${r.from}, not yet confirmed by a read (the next run checks); ${failed.why}`;
  // A candidate that answered no caller (a smoke test on green, a shadow run): nothing to roll back.
  if (neverServedCallers(r)) return `${r.to} may still be deployed: withdrawing it failed; ${failed.why}`;
  const refused = rollingLeft(r)?.refused;
  const what = refused
    ? `the switch to ${refused} and the rollback to ${r.from} failed; ${failed.note}`
    : `the rollback to ${r.from} failed; ${failed.why}`;
  return `${r.to} ${mayStillServe(r)}: ${what}`;
}

/**
 * The status `model-gate/<model>` of a head that no longer changes the model's version (put back,
 * the file deleted) while the PR's candidate of it was withdrawn: success, saying why. A status
 * belongs to one commit, so without it a branch protection that requires the context would wait
 * on the new head for ever, for a model its merge no longer changes.
 */
export async function setNoLongerChangedStatus(
  client: GitHubClient,
  repo: Repo,
  change: { model: string; headSha: string; description: string },
  targetUrl?: string,
): Promise<void> {
  await client.rest.repos.createCommitStatus({
    ...repo,
    sha: change.headSha,
    state: 'success',
    context: `model-gate/${change.model}`,
    // The client redacts and cuts it to GitHub's 140 characters.
    description: change.description,
    ...(targetUrl ? { target_url: targetUrl } : {}),
  });
}
