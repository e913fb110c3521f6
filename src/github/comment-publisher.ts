import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import { redact, redactNotes } from '../core/redact.js';
import { LedgerStateError } from '../ledger/ledger.js';
import { withdrawalUnderWay } from '../release/finish.js';
import { idlePending } from '../release/pending-idle.js';
import { type KeptLine, LINE_KINDS, type RunResult, SIBLING_LINE } from '../release/pull-request.js';
import { withThinSeries } from '../release/series.js';
import { endedBy, type Release } from '../release/types.js';
import { compactComment, renderShortMarkdown } from '../report/markdown.js';
import { isNotFound, retryDelayOf, sendingOnce, testWaitScale } from './client.js';
import type { GitHubLedger } from './github-ledger.js';
import { bodyHead, COMMENT_LIMIT, newest, type RunStamp, type WriteOutcome } from './sticky-comment.js';

/** Renders a PR's report; `compact` leaves out details to fit GitHub's size limit. */
export type RenderReport = (result: RunResult, compact: boolean) => string;

export interface PublisherOptions {
  /** A comment whose releases did not change is rewritten at most this often. */
  refreshMs?: number;
  /** After a run's last write of a shared comment, the wait before checking it kept this run's state. */
  settleMs?: number;
  /** How many times a run rewrites a shared comment that lost its state, before it gives up. */
  repairs?: number;
  /** How many times a write GitHub refused for now (rate limit, server error) is made again. */
  retries?: number;
  /** The workflow run, linked from a report shortened to fit a comment. */
  runUrl?: string;
  /**
   * The PR a pull_request job runs for, and its head commit: stored with each line the job writes
   * on that PR's comment. A run without one (a schedule tick) has no head of its own.
   */
  ownHead?: { pr: number; sha: string };
  warn?(message: string): void;
}

/**
 * Points per gate that a comment too full for the whole state keeps of each chart series, then
 * the one the engine reads (series.ts, thinSeries): enough for a chart, then none.
 */
const THINNED_SERIES = [8, 1];

/** What a PR's report carries beside its releases. */
type Notes = Omit<RunResult, 'releases'>;

/**
 * The lines a comment keeps beside its releases' state, so a sibling job's write keeps them too.
 * A line an older model-gate stored has no kind, and one of a kind this version does not know
 * reads as none: either way it still shows, and the line is no word on this run's heading.
 * Each line names who wrote it (`run`, and `head` for a PR's job), so that a later run keeps only
 * what still holds (keptNotes); a line an older model-gate stored names no one.
 */
const storedLine = z.object({
  model: z.string(),
  why: z.string(),
  kind: z.enum(LINE_KINDS).optional().catch(undefined),
  holder: z.int().positive().optional().catch(undefined),
  run: z.int().positive().optional().catch(undefined),
  head: z.string().optional().catch(undefined),
});
const storedNotes = z.object({ skipped: z.array(storedLine) });
type StoredLine = z.infer<typeof storedLine>;

/**
 * Keeps each touched PR's one comment true: written on every status or phase change,
 * otherwise at most every `refreshMs`, so a long analysis does not spend the API budget
 * on polls. The comment also carries the releases' state for a later job to resume.
 *
 * The comment is read again before each write, since other runs may write it too (a matrix: one
 * job per model, all on the PR's one comment; a workflow_dispatch rollback of the release this
 * run drives): this run's releases come from this run, every other model's (and one another run
 * ended) from the comment. A sibling's write that read the comment just before this run's last
 * one still drops this run's state (its releases, and its lines: a queued job's only word), so
 * the last publish of a run that shares the comment with sibling jobs (`final`) waits a moment,
 * reads the comment again and puts back what is missing.
 * A sibling's stale write takes back other models' sections too (a third job's decision, say): each
 * write keeps every other model's latest state this run has read, and the check puts those back.
 */
export class CommentPublisher {
  private readonly written = new Map<number, { signature: string; at: number }>();
  /** Per PR, each model's latest release this run has read: what a sibling's stale write may take back. */
  private readonly seen = new Map<number, Map<string, Release>>();
  /** Per PR, the stamp this run last wrote the comment under (a newer run's, when that run wrote it first). */
  private readonly wroteUnder = new Map<number, RunStamp>();
  /** PRs whose routine update GitHub refused for now, said once until one is written again. */
  private readonly deferred = new Set<number>();
  private readonly refreshMs: number;
  private readonly settleMs: number;
  private readonly repairs: number;
  private readonly retries: number;

  constructor(
    private readonly ledger: GitHubLedger,
    private readonly render: RenderReport,
    private readonly stamp: RunStamp,
    private readonly clock: Clock,
    private readonly opts: PublisherOptions = {},
  ) {
    this.refreshMs = opts.refreshMs ?? 5 * 60_000;
    this.settleMs = opts.settleMs ?? 5_000;
    this.repairs = opts.repairs ?? 3;
    this.retries = opts.retries ?? 3;
  }

  /**
   * Write every PR whose releases changed; `notes` adds per-PR lines (queued, skipped).
   * `final`: the run's last publish, written whether due or not, then checked. `force`: written
   * whether due or not (a record other runs must read at once, whose change the signature misses).
   * Those two wait as long as GitHub asks when it refuses for now (a rate limit). A routine update
   * is tried once: refused for now, it is left due for the next publish (the run's final one at
   * the latest), as waiting for it would stall the looks of the loop it reports on, and failing
   * on it would fail a run whose releases are fine (its post step withdrawing a healthy candidate).
   * `once`: a forced write tried once, with no wait, GitHub's refusal thrown at once and the PR left
   * due: a record written just before a traffic change (endThenWithdraw), which a wait would hold back;
   * each of its requests sent once (sendingOnce), the comment's read before the write included.
   */
  async publish(
    opts: {
      final?: boolean;
      force?: boolean;
      once?: boolean;
      notes?: Map<number, RunResult['skipped']>;
      rollbacks?: RunResult['rollbacks'];
    } = {},
  ) {
    const prs = new Set([...this.ledger.dirty, ...(opts.notes?.keys() ?? [])]);
    const checks = new Map<number, Notes>();
    for (const pr of this.ledger.savedPrs()) checks.set(pr, { skipped: [], rollbacks: opts.rollbacks });
    // A job's lines are checked too: a queued job has no release, its line is its only word.
    for (const [pr, lines] of opts.notes ?? [])
      if (lines.length > 0) checks.set(pr, { skipped: lines, rollbacks: opts.rollbacks });
    for (const pr of prs) {
      const signature = signatureOf(this.ledger.savedReleases(pr));
      const last = this.written.get(pr);
      const now = this.clock.now();
      const due = !last || last.signature !== signature || now - last.at >= this.refreshMs;
      if (!opts.final && !opts.force && !due) continue;
      const notes: Notes = { skipped: opts.notes?.get(pr) ?? [], rollbacks: opts.rollbacks };
      // Read again first: a workflow_dispatch run may have written even a comment no sibling job shares.
      const routine = !opts.final && !opts.force;
      let outcome: WriteOutcome;
      const write = () => this.write(pr, notes, true, routine || opts.once ? 0 : this.retries);
      try {
        // `once`: the comment's read before its write too, as waiting one out holds the change back as long.
        outcome = await (opts.once ? sendingOnce(write) : write());
      } catch (error) {
        if (!routine || retryDelayOf(error, 0, now) === undefined) throw error;
        this.defer(pr, error);
        continue;
      }
      this.deferred.delete(pr);
      if (outcome === 'stale') checks.delete(pr);
      else {
        this.written.set(pr, { signature, at: now });
        if (checks.has(pr)) checks.set(pr, notes);
      }
      this.ledger.dirty.delete(pr);
    }
    if (opts.final) await this.settle([...checks].filter(([pr]) => this.ledger.shared(pr)));
  }

  /** A routine update of PR `pr`'s comment GitHub refused for now: left dirty and due, said once. */
  private defer(pr: number, error: unknown) {
    if (this.deferred.has(pr)) return;
    this.deferred.add(pr);
    const status = (error as { status?: number }).status;
    this.opts.warn?.(
      `GitHub refused to update the comment of PR #${pr} for now (HTTP ${status}): it is written at its next update, the run goes on`,
    );
  }

  /**
   * Check, a moment after this run's last write, that each shared comment still holds the
   * releases this run saved and the lines it wrote (and no duplicate), and write them back where
   * another job's stale write dropped them.
   */
  private async settle(pending: [number, Notes][]) {
    for (let repair = 0; pending.length > 0; repair++) {
      await this.clock.sleep(this.settleMs);
      const next: [number, Notes][] = [];
      for (const [pr, notes] of pending) {
        await this.noteSeen(pr);
        await this.ledger.refresh(pr, true);
        const comment = this.ledger.commentFor(pr);
        const lost = [...this.ledger.lost(pr), ...this.linesLost(pr, notes.skipped)];
        const behind = await this.behind(pr);
        if (lost.length === 0 && behind.length === 0 && comment.duplicates.length === 0) continue;
        if (repair === this.repairs) {
          const missing = [...lost, ...behind.map((m) => `the latest state it read of ${m}`)];
          this.opts.warn?.(
            `the comment of PR #${pr} still misses this job's state (${missing.join(', ') || 'duplicates'}) after ${this.repairs} rewrites: other jobs keep overwriting it`,
          );
          continue;
        }
        if ((await this.write(pr, notes, false, this.retries)) !== 'stale') next.push([pr, notes]);
      }
      pending = next;
    }
  }

  /**
   * Write a PR's report; when GitHub refuses for now (a rate limit, a server error), wait as
   * long as it asks and write it again, up to `retries` times, from a fresh read of a shared
   * comment: a body re-sent after the wait would drop what other jobs wrote meanwhile.
   */
  private async write(pr: number, notes: Notes, reread: boolean, retries: number): Promise<WriteOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writeOnce(pr, notes, reread || attempt > 0);
      } catch (error) {
        const wait = attempt < retries ? retryDelayOf(error, attempt, this.clock.now()) : undefined;
        if (wait === undefined) throw error;
        const status = (error as { status?: number }).status;
        this.opts.warn?.(
          `GitHub refused to write the comment of PR #${pr} for now (HTTP ${status}): writing it again in ${Math.ceil(wait / 1000)}s`,
        );
        await this.clock.sleep(wait * testWaitScale());
      }
    }
  }

  /**
   * Write a PR's report: first reading the comment again (`reread`), as other runs may write it
   * too. A comment a newer run wrote (a schedule tick, say, before this re-run of an older run)
   * is read again and merged, each model keeping its newest release, and written under that
   * run's stamp, so that neither run's writes shut the other's out.
   */
  private async writeOnce(pr: number, notes: Notes, reread: boolean): Promise<WriteOutcome> {
    const comment = this.ledger.commentFor(pr);
    try {
      if (reread) {
        await this.noteSeen(pr);
        await this.ledger.refresh(pr);
      }
      const outcome = await this.writeUnder(pr, notes, this.stamp);
      if (outcome !== 'stale') return outcome;
      await this.ledger.refresh(pr);
      return await this.writeUnder(pr, notes, newest(this.stamp, comment.current?.stamp));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      // The comment is gone (deleted by hand, or folded into another job's as its duplicate):
      // write the one that is left, or a new one.
      await this.ledger.refresh(pr, true);
      return this.writeUnder(pr, notes, this.stamp);
    }
  }

  /** Write the comment under `stamp`, noting it: the lines this run wrote are checked only under it (linesLost). */
  private async writeUnder(pr: number, notes: Notes, stamp: RunStamp): Promise<WriteOutcome> {
    const outcome = await this.ledger.commentFor(pr).write(await this.body(pr, notes, stamp), stamp);
    if (outcome !== 'stale') this.wroteUnder.set(pr, stamp);
    return outcome;
  }

  /**
   * This run's own lines (`mine`) that the comment of PR `pr`, as last read, no longer holds: a
   * sibling's write that read the comment before them took them out. A newer run has its own word
   * on the lines (a push's run drops an earlier head's, a PR job's a tick's): none, once one wrote
   * the comment, whether after this run's last write or before it (this run then wrote under its
   * stamp, and the newer run's own write since may have dropped them as it meant to).
   */
  private linesLost(pr: number, mine: RunResult['skipped']): string[] {
    const comment = this.ledger.commentFor(pr);
    const wrote = this.wroteUnder.get(pr);
    const ownStamp = wrote?.runId === this.stamp.runId && wrote.attempt === this.stamp.attempt;
    if (!ownStamp || comment.newerThan(this.stamp)) return [];
    const held = storedNotes.safeParse(comment.current?.data);
    const stored = held.success ? held.data.skipped : [];
    // Compared as stored: the words masked (bodyHead).
    const own = redactNotes(mine.filter((s) => !(SIBLING_LINE in s)));
    return own
      .filter((s) => !stored.some((h) => h.model === s.model && h.why === s.why && h.kind === s.kind))
      .map((s) => `the line on ${s.model}`);
  }

  private async body(pr: number, notes: Notes, stamp: RunStamp): Promise<string> {
    const releases = await this.latest(pr);
    const skipped = this.ledger.shared(pr) ? this.keptNotes(pr, notes.skipped) : notes.skipped;
    return this.fit(pr, { ...notes, skipped, releases }, releases, stamp);
  }

  /**
   * The releases of PR `pr` to write: this run's own as it saved them, each other model's as the
   * comment was last read, unless this run read a later state of it before (a sibling's write
   * that read the comment before that state was written took it back since).
   */
  private async latest(pr: number): Promise<Release[]> {
    const releases = await this.ledger.releasesOf(pr);
    const seen = this.note(pr, releases);
    const own = new Set(this.ledger.savedReleases(pr).map((r) => r.model));
    return [...releases.values()].map((r) => (own.has(r.model) ? r : (seen.get(r.model) ?? r)));
  }

  /**
   * Note what the ledger holds of PR `pr` before the comment is read again (another of the run's
   * reads may have brought it); only once the ledger read the comment, so that it asks for nothing.
   */
  private async noteSeen(pr: number): Promise<void> {
    if (this.ledger.commentFor(pr).current) this.note(pr, await this.ledger.releasesOf(pr));
  }

  /** Keep each model's later state of `releases` and of those seen of PR `pr` before; returns them. */
  private note(pr: number, releases: Map<string, Release>): Map<string, Release> {
    let seen = this.seen.get(pr);
    if (!seen) {
      seen = new Map();
      this.seen.set(pr, seen);
    }
    for (const [model, release] of releases) {
      const before = seen.get(model);
      if (!before || later(release, before)) seen.set(model, release);
    }
    return seen;
  }

  /** The other models whose section the comment of PR `pr`, as last read, lacks or holds earlier than this run read it. */
  private async behind(pr: number): Promise<string[]> {
    const own = new Set(this.ledger.savedReleases(pr).map((r) => r.model));
    const stored = (this.ledger.commentFor(pr).current?.data as { releases?: object } | undefined)?.releases;
    const held = await this.ledger.releasesOf(pr);
    return [...(this.seen.get(pr) ?? [])]
      .filter(([model, release]) => {
        // A model the ledger does not hold is not written (latest): none to put back.
        const theirs = held.get(model);
        if (own.has(model) || !theirs) return false;
        return !stored || !Object.hasOwn(stored, model) || later(release, theirs);
      })
      .map(([model]) => model);
  }

  /**
   * On a shared comment, the other jobs' lines (queued, skipped) as the comment last read holds
   * them, for the models this run said nothing of and marked as theirs (a sibling's dry run does
   * not make this run's heading a dry run's), then this run's own. A PR's job at its own head drops
   * the line an earlier run wrote at another head (a push since reverted that model's change, and
   * the line would stand for good); every other line stands: a sibling job's of this run, a later
   * run's (this may be a re-run of an older one), one at this head (another workflow's); an older
   * model-gate's (no writer) counts as the last writer's. A run with no head of its own (a schedule
   * tick, a command) keeps all. A duplicate's lines (a creation race's other comment, deleted by
   * this write) are kept too, of the models the comment has none of, as its releases are.
   */
  private keptNotes(pr: number, mine: RunResult['skipped']): RunResult['skipped'] {
    const said = new Set([...mine, ...this.ledger.savedReleases(pr)].map((x) => x.model));
    const sticky = this.ledger.commentFor(pr);
    const ownHead = this.headOn(pr);
    const theirs: StoredLine[] = [];
    const lined = new Set<string>();
    for (const comment of [sticky.current, ...sticky.duplicates]) {
      const held = storedNotes.safeParse(comment?.data);
      if (!held.success) continue;
      // An older model-gate's line (no writer): as if the run that last wrote its comment wrote it.
      const runOf = (s: StoredLine) => s.run ?? comment?.stamp?.runId ?? this.stamp.runId;
      const holds = (s: StoredLine) =>
        ownHead === undefined || runOf(s) >= this.stamp.runId || s.head === ownHead;
      theirs.push(...held.data.skipped.filter((s) => !said.has(s.model) && !lined.has(s.model) && holds(s)));
      for (const s of held.data.skipped) lined.add(s.model);
    }
    return [...theirs.map((s): KeptLine => ({ ...s, [SIBLING_LINE]: true })), ...mine];
  }

  /** This run's head on PR `pr`: a pull_request job's on its own PR, else none. */
  private headOn(pr: number): string | undefined {
    return this.opts.ownHead?.pr === pr ? this.opts.ownHead.sha : undefined;
  }

  /** The lines of PR `pr` as stored: each of this run's own with its writer, the siblings' as they were. */
  private signed(pr: number, lines: RunResult['skipped']): object[] {
    const head = this.headOn(pr);
    const writer = { ...(this.stamp.runId > 0 ? { run: this.stamp.runId } : {}), ...(head ? { head } : {}) };
    return lines.map((s) => (SIBLING_LINE in s ? s : { ...s, ...writer }));
  }

  /**
   * The body of a PR's comment within GitHub's limit. The hidden state is never cut, since a later
   * job resumes from it: it is written plain, else gzipped, else with each gate's chart series
   * thinned (THINNED_SERIES). The visible report gets the room left: the full report, else without
   * details (saying so: compactComment), else the decision and a line per model. The state's form
   * comes first: versions of model-gate before the gzipped form cannot read it (a matrix may run
   * both), and thinned series stay thin for every later job, so a plain state with even the
   * shortest report beats a gzipped one with the full report. When not even that fits, nothing is
   * written and the run fails saying what to do: a cut state would stop every later job of the PR.
   */
  private fit(pr: number, result: RunResult, releases: Release[], stamp: RunStamp): string {
    const state = (points?: number) => ({
      releases: Object.fromEntries(
        releases.map((r) => [r.model, points === undefined ? r : withThinSeries(r, points)]),
      ),
      skipped: this.signed(pr, result.skipped),
    });
    const heads = [
      () => bodyHead(stamp, state()),
      () => bodyHead(stamp, state(), true),
      ...THINNED_SERIES.map((points) => () => bodyHead(stamp, state(points), true)),
    ].map(once);
    const reports = [
      once(() => this.render(result, false)),
      once(() => compactComment(this.render(result, true), this.opts.runUrl)),
      (room: number) => renderShortMarkdown(result, { runUrl: this.opts.runUrl, maxLength: room }),
    ];
    for (const head of heads) {
      for (const report of reports) {
        const room = COMMENT_LIMIT - head().length;
        const markdown = room > 0 ? report(room) : undefined;
        const body = markdown === undefined ? undefined : head() + redact(markdown);
        if (body !== undefined && body.length <= COMMENT_LIMIT) return body;
      }
    }
    const smallest = heads.at(-1)?.().length ?? 0;
    throw new LedgerStateError(
      `the model-gate comment of PR #${pr} cannot hold the state of its ${releases.length} releases: gzipped, with one point left of each gate's chart series, it takes ${smallest} of the ${COMMENT_LIMIT} characters GitHub allows a comment, with no room left for the report. Change fewer models in one pull request (split it into several), or keep the releases in a ledger file that persists between runs (the ledger input: a path)`,
    );
  }
}

/** `make`, called at most once. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

/**
 * Whether `a` is a later state of its model than `b`: a later release, or the same one ended or
 * finished (as the ledger reads another run's end of it), or moved on from ready (movedOnFromReady),
 * whatever its clock said; or else updated later, each run's `updatedAt` being the time it decided
 * the state. Saved in the same millisecond (one run's two records of one decision, a fake clock),
 * the outcome of a withdrawal is later than its record under way (tick.ts rollBack: the record,
 * then the rollback not taken, both at its `now`); not whatever the clock says, as a command may
 * record a new withdrawal under way after a run's failed one (finish.ts settleWithdrawal).
 */
function later(a: Release, b: Release): boolean {
  if (a.startedAt !== b.startedAt) return a.startedAt > b.startedAt;
  if (endedBy(a, b) || movedOnFromReady(a, b)) return true;
  if (endedBy(b, a) || movedOnFromReady(b, a)) return false;
  if (a.updatedAt !== b.updatedAt) return a.updatedAt > b.updatedAt;
  return withdrawalUnderWay(b) && !withdrawalUnderWay(a);
}

/**
 * Whether `a` moved on the same release's ready record `b`, whatever their clocks: a run records the
 * pass with its change to idle pending, then saves it confirmed, or, the change failed, its rollback
 * (tick.ts passedAll), often in the same millisecond. No run undoes either: a release is made ready
 * once, from analysing, and its change to idle, once confirmed, is never pending again.
 */
const movedOnFromReady = (a: Release, b: Release): boolean =>
  b.status === 'ready' &&
  (a.status === 'ready' ? idlePending(b) && !idlePending(a) : a.status !== 'analysing');

/**
 * What makes a comment due at once. Not a watch lease's renewal (watch-lease.ts): the watch loop
 * publishes that with `force`.
 */
const signatureOf = (releases: Release[]) =>
  JSON.stringify(releases.map((r) => [r.model, r.status, r.phase, r.to]));
