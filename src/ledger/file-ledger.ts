import type { BigIntStats } from 'node:fs';
import { open, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { modelName } from '../config/fields.js';
import { describeValue } from '../config/messages.js';
import { InputError, ModelGateError } from '../core/errors.js';
import { redactNotes } from '../core/redact.js';
import type { DriftRecord, DriftSpan } from '../release/drift-alert.js';
import type { DriftReport } from '../release/drift-watch.js';
import { holdsSlot, inFlight, type Release } from '../release/types.js';
import { WORKING_TREE } from '../version/local-comparison.js';
import { withFileLock } from './file-lock.js';
import {
  EndedElsewhereError,
  type Ledger,
  type LedgerEntry,
  LedgerStateError,
  sameEntry,
  sameRecord,
  sameRelease,
} from './ledger.js';
import { makeFolder } from './make-folder.js';
import { firstProblems, parseState, releaseSchema, releasesOf, version } from './release-schema.js';

interface LedgerFile {
  version: 1;
  releases: Record<string, Release>;
  history: LedgerEntry[];
  drift?: (DriftReport & { at: number })[];
}

// The file is read back at the edge, as the GitHub ledger's comment is: it can be edited by hand,
// and its versions reach target calls (a rollback serves a history entry's version). A local run
// releases the working tree, so a release's head may be WORKING_TREE instead of a commit SHA.
const commitSha = releaseSchema.shape.headSha.unwrap();
const headSha = z.string().refine((text) => text === WORKING_TREE || commitSha.safeParse(text).success, {
  error: (issue) => `expected a commit SHA or "${WORKING_TREE}", got ${describeValue(issue.input)}`,
});
const fileRelease = releaseSchema.extend({ headSha: headSha.optional() });

const historyEntry = z.object({
  model: modelName,
  kind: z.enum(['promotion', 'rollback']),
  version,
  previous: version,
  at: z.number(),
  pr: z.int().positive().optional(),
  summary: z.string(),
}) satisfies z.ZodType<LedgerEntry>;

// Each drift's start and end (drifted false); read for whether a drift is on record (openDrift).
const driftEntry = z.looseObject({
  model: z.string(),
  at: z.number(),
  version: z.string().optional(),
  drifted: z.boolean().optional(),
});

const ledgerFile = z.object({
  version: z.literal(1),
  releases: releasesOf(fileRelease),
  history: z.array(historyEntry),
  drift: z.array(driftEntry).optional(),
});

const EMPTY: LedgerFile = deepFreeze({ version: 1, releases: {}, history: [] });
const RESTORE = 'restore it if it held releases';
// A ledger that does not parse may still hold a candidate in flight: deleting it forgets that one,
// live, with no run left to withdraw it, so the way out warns as the empty ledger's does.
const RESET = `fix it, or ${RESTORE}: deleting it starts an empty ledger, which forgets any candidate in flight while it may still get live traffic`;

/**
 * A ledger in one JSON file, for the CLI and for runs without GitHub. Each write
 * replaces the file atomically (write then rename), so a killed job never leaves half a file.
 * A file that cannot be read or does not parse is an InputError naming the file.
 *
 * Processes may share the file (a `model-gate run rollback` beside a tick, two jobs on one runner):
 * each change is read, made and written under a lock (file-lock.ts), so none is lost; and a release
 * is saved only over its record as this ledger last read or wrote it, so a change another run
 * recorded since (a rollback) stands: the save is refused with EndedElsewhereError, as the check
 * before it (endedElsewhere) would have.
 */
export function fileLedger(path: string): Ledger {
  /** Per model, its record as this ledger last read or wrote it: what its next save builds on. */
  const seen = new Map<string, Release | undefined>();
  const saw = (model: string, release: Release | undefined) => {
    seen.set(model, release);
    return release;
  };
  /**
   * The file as this ledger last read or wrote it, parsed once: a run over many models reads it for
   * each, and parsing it each time made a run quadratic in the models (700 did not finish). Never
   * handed out or changed (frozen): callers get copies, a change is made on a draft.
   */
  let cached: { key: string; bytes: Buffer; data: LedgerFile } | undefined;
  /**
   * The file as it is now, read-only. Unless `exact`, one whose identity on disk (fileKey) is the
   * cached file's is taken as it: any write (this one's temp file renamed in place, another
   * process's, a hand edit) changes it. Under the lock (`exact`) the text is read and compared,
   * so that a change is written over nothing another process wrote, even one within the same tick
   * of the file system's clock. Only a text that differs is parsed again.
   */
  async function load(exact = false): Promise<LedgerFile> {
    const known = cached;
    if (known?.key && !exact && (await fileKey(path)) === known.key) return known.data;
    let read: { key: string; bytes: Buffer };
    try {
      read = await readWithKey(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        cached = undefined;
        return EMPTY;
      }
      throw fileProblem(path, err, 'read');
    }
    if (cached?.bytes.equals(read.bytes)) {
      cached.key = read.key;
      return cached.data;
    }
    // Never read as an empty ledger: model-gate replaces the file whole, so an empty one was
    // truncated or made by hand, and forgetting the candidates it held could leave them live.
    if (read.bytes.toString('utf8').trim() === '')
      throw new InputError(
        `the ledger ${path} is empty: model-gate never writes an empty ledger, so it was emptied or created by hand; ${RESTORE}, or delete it to start from an empty ledger`,
      );
    let data: unknown;
    try {
      data = JSON.parse(read.bytes.toString('utf8'));
    } catch (err) {
      throw new InputError(`the ledger ${path} is not valid JSON (${(err as Error).message}): ${RESET}`);
    }
    const parsed = parseState(ledgerFile, data);
    if (!parsed.ok)
      throw new InputError(
        `the ledger ${path} is not one model-gate wrote (${firstProblems(parsed.problems)}): ${RESET}`,
      );
    cached = { ...read, data: deepFreeze(parsed.value as LedgerFile) };
    return cached.data;
  }
  /** What the file holds of `model`, a copy the caller may change. */
  const releaseOf = async (model: string) => copy((await load()).releases[model]);
  /**
   * Checks `value` as `load` will read it back (the file's own schema, on its JSON), as the GitHub
   * ledger checks a release before it records one: a state the next run would refuse must not be
   * written over one it reads (a version a platform reports, say). Only the record being written is
   * checked: the rest of the file was checked when read. `at` is where it goes in the file, for the
   * message; `what` names what is being recorded. Returns the record as read back, frozen.
   * Its free text is redacted, as the GitHub ledger's is: a gate's note may quote a secret, and the
   * file is read, shared and uploaded as it is.
   */
  function checked<T extends object>(schema: z.ZodType, value: T, at: PropertyKey[], what: string): T {
    const json = JSON.parse(JSON.stringify(redactNotes(value)));
    const stored = parseState(schema, json, at);
    if (!stored.ok) {
      throw new LedgerStateError(
        `cannot record ${what} in the ledger ${path}: ${firstProblems(stored.problems)}`,
      );
    }
    return deepFreeze(stored.value as T);
  }
  /** Writes `data`, whose changed record `checked` has read back (write then rename). */
  async function save(data: LedgerFile): Promise<void> {
    const bytes = Buffer.from(`${JSON.stringify(data, null, 2)}\n`);
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch (err) {
      throw fileProblem(path, err, 'write');
    }
    // Its key unknown (the rename is a change too): the next read compares the text, parses nothing.
    cached = { key: '', bytes, data: deepFreeze(data) };
  }
  /**
   * Reads, changes (`change` says whether it changed anything) and writes the file under its lock:
   * another process's change between this read and this write would otherwise be written over.
   */
  async function modify(change: (data: LedgerFile) => boolean): Promise<void> {
    try {
      await makeFolder(dirname(path));
    } catch (err) {
      throw fileProblem(path, err, 'write');
    }
    const locked = withFileLock(`${path}.lock`, async () => {
      const data = draft(await load(true));
      if (change(data)) await save(data);
    });
    await locked.catch((err) => {
      throw err instanceof ModelGateError ? err : fileProblem(path, err, 'write');
    });
  }
  return {
    async release(model) {
      return saw(model, await releaseOf(model));
    },
    async saveRelease(release) {
      const { model } = release;
      await modify((data) => {
        const now = data.releases[model];
        // Not read by this ledger before (a first save): nothing to have changed since.
        const built = seen.has(model) ? seen.get(model) : now;
        if (now && overwrites(release, now, built)) throw new EndedElsewhereError(now, built ?? release);
        // Filed under its own model, as the file's `releases` must be.
        data.releases[model] = checked(fileRelease, release, ['releases', model], `the release of ${model}`);
        return true;
      });
      saw(model, release);
    },
    async record(entry) {
      await modify((data) => {
        const last = data.history.findLast((e) => e.model === entry.model);
        if (last && sameEntry(last, entry)) return false;
        const at = ['history', data.history.length];
        data.history.push(checked(historyEntry, entry, at, `the ${entry.kind} of ${entry.model}`));
        return true;
      });
    },
    async history(model) {
      return copy((await load()).history.filter((e) => e.model === model));
    },
    // One entry per change of state (a drift's start, its end), stamped with the clock's time.
    async recordDrift(report, at, opts) {
      let record: DriftRecord = { change: 'none' };
      const find = (data: LedgerFile) => {
        const drifts = driftsOf(data, report);
        const open = drifts[0]?.ended === undefined ? drifts[0] : undefined;
        const over = drifts.filter((d): d is Required<DriftSpan> => d.ended !== undefined);
        if (report.drifted) record = open ? { change: 'continues', since: open.since } : { change: 'began' };
        else if (open) record = { change: 'ended', since: open.since };
        if (over.length > 0) record = { ...record, over };
      };
      // A dry run reads the file only: no lock, no write.
      if (opts?.dryRun) {
        find(await load());
        return record;
      }
      await modify((data) => {
        find(data);
        if (record.change !== 'began' && record.change !== 'ended') return false;
        const drift = data.drift ?? [];
        const what = `the drift report of ${report.model}`;
        const stored = checked(driftEntry, { ...report, at }, ['drift', drift.length], what);
        data.drift = [...drift, stored];
        return true;
      });
      return record;
    },
    async canaryHolder(model) {
      const release = saw(model, await releaseOf(model));
      return release && holdsSlot(release) ? release : undefined;
    },
    // Another process can write the file meanwhile (a `model-gate run` rollback beside a tick, or
    // two jobs on a runner sharing it). Every save of this process is in the file at once, so a
    // record that is not the release a run drives was written by another run, which has the word.
    // A record found changed is not built on: the run gives the release up to the run that changed it.
    async endedElsewhere(release) {
      const now = await releaseOf(release.model);
      if (now && !sameRecord(now, release)) return now;
      saw(release.model, now);
      return undefined;
    },
    async reread(release) {
      return saw(release.model, await releaseOf(release.model));
    },
    // Not taken as read (`seen`): listing them makes no run the driver of any.
    async slotHolders(pr) {
      const releases = Object.values((await load()).releases);
      return copy(releases.filter((r) => holdsSlot(r) && (pr === undefined || r.pr === pr)));
    },
  };
}

/**
 * Whether saving `next` would write over what another run recorded (`now`) since this ledger
 * read or wrote `built`: a rollback or an abort of the release it drives, a step another run took,
 * a promotion, another release in its place. Not over:
 * - the same release at the same point (a save repeated);
 * - a new release in place of the one read (a new push's), whatever became of that one: a new
 *   push replaces it in any state;
 * - an end of the release (withdrawing its candidate) over a step another run took since;
 * - the same end this run recorded, settled by another run (a tick finishing the withdrawal of a
 *   failed release, or its change to idle): this run's word on its own end stands, as the engine
 *   has it (a step that ended the release did so by a checked traffic change, watch.ts).
 */
function overwrites(next: Release, now: Release, built: Release | undefined): boolean {
  if (sameRecord(now, next) || (built && sameRecord(now, built))) return false;
  if (!built || !sameRelease(now, built)) return true;
  if (!sameRelease(next, built)) return next.startedAt <= built.startedAt;
  // An end (a rollback or abort command, a failed gate) over a step another run took since: the
  // end stands, and its withdrawal follows; refused, the candidate kept the step's traffic.
  if (!inFlight(next) && inFlight(now)) return false;
  return built.status === 'analysing' || now.status !== built.status;
}

/**
 * Refuses, before a run changes any traffic, a ledger it could not write once the change is made
 * (a folder without permission, a read-only file system, a path under /proc): a change that
 * landed unrecorded is what the record is for. A file is made beside the ledger and removed, as a
 * save makes its temp file and lock there; its name is this process's own, so no other run's lock
 * or temp file is touched. The ledger's folder is made too, as the first save would. `flag`: how
 * the user gives another path (`--ledger PATH`), named in the error.
 */
export async function checkLedgerWritable(path: string, flag?: string): Promise<void> {
  const probe = `${path}.${process.pid}.probe`;
  try {
    await makeFolder(dirname(path));
    await writeFile(probe, '');
    await unlink(probe);
  } catch (err) {
    throw fileProblem(path, err, 'write', flag);
  }
}

/** Why the ledger file could not be read or written, and what to do about it (`flag`: where to give another path). */
function fileProblem(path: string, err: unknown, what: 'read' | 'write', flag?: string): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  const give = (how: string) => `give ${how}${flag ? ` with ${flag}` : ''}`;
  if (code === 'EISDIR')
    return new InputError(`the ledger ${path} is a directory: ${give('the path of a file')}`);
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return new InputError(
      `the ledger ${path}: a part of its path is a file, not a directory: ${give('another path')}`,
    );
  if (code === 'EACCES' || code === 'EPERM')
    return new InputError(
      `the ledger ${path}: permission denied to ${what} it: ${give(`a path you can ${what}`)}`,
    );
  // Its directory, the lock beside it and the temp file written in its place share its file system.
  if (code === 'EROFS')
    return new InputError(
      `the ledger ${path} is on a read-only file system, so it cannot be written: ${give('a path you can write')}`,
    );
  // Its folder cannot be made where a file system makes none (/proc says ENOENT to a mkdir).
  if (code === 'ENOENT' && what === 'write')
    return new InputError(
      `cannot write the ledger ${path}: ${(err as Error).message}: ${give('a path you can write')}`,
    );
  return new InputError(`cannot ${what} the ledger ${path}: ${(err as Error).message}`);
}

/**
 * The drifts of `report`'s version on record, newest first: from the newest entries of the model,
 * of that version, none older than its newest promotion or rollback (a version put back in service
 * starts fresh), each run of drifted entries one drift, the entry after it (not drifted) its end.
 * Files written before drift was recorded once hold one entry per drifted look (the first of them
 * is when it began) and no ends.
 */
function driftsOf(data: LedgerFile, report: DriftReport): DriftSpan[] {
  const changed = data.history.findLast((e) => e.model === report.model)?.at ?? Number.NEGATIVE_INFINITY;
  const entries = (data.drift ?? []).filter((e) => e.model === report.model);
  const drifts: DriftSpan[] = [];
  let current: DriftSpan | undefined;
  let end: number | undefined;
  for (const e of entries.toReversed()) {
    if (e.version !== report.version || e.at < changed) break;
    if (e.drifted !== true) {
      current = undefined;
      end = e.at;
    } else if (current) current.since = e.at;
    else {
      current = end === undefined ? { since: e.at } : { since: e.at, ended: end };
      drifts.push(current);
    }
  }
  return drifts;
}

/**
 * What tells one state of the file from another without reading it: a rename in place is a new
 * inode, any write or hand edit a new change time (which no one can set back, unlike the
 * modification time). Undefined when it cannot be had: the read that follows says why.
 */
async function fileKey(path: string): Promise<string | undefined> {
  try {
    return keyOf(await stat(path, { bigint: true }));
  } catch {
    return undefined;
  }
}

const keyOf = (s: BigIntStats) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;

/**
 * A file changed this recently may change again within the same tick of a coarse file-system clock
 * (1 s on some mounts) at the same size and, its temp file's inode reused, the same key: its key is
 * not trusted until then (as git treats a "racily clean" file), so reads compare the text.
 */
const RACY_NS = 2_000_000_000n;

/** The file's bytes and the key of that very file (one open file: a rename meanwhile cannot mix them). */
async function readWithKey(path: string): Promise<{ key: string; bytes: Buffer }> {
  const file = await open(path, 'r');
  try {
    const stats = await file.stat({ bigint: true });
    const racy = BigInt(Date.now()) * 1_000_000n - stats.ctimeNs < RACY_NS;
    return { key: racy ? '' : keyOf(stats), bytes: await file.readFile() };
  } finally {
    await file.close();
  }
}

/** A change's working copy of the cached file: new containers, its frozen records shared. */
const draft = (data: LedgerFile): LedgerFile => ({
  ...data,
  releases: { ...data.releases },
  history: [...data.history],
  ...(data.drift && { drift: [...data.drift] }),
});

const copy = <T>(value: T): T => structuredClone(value);

/** `value`, frozen through: a change made by mistake to the cache throws instead of spreading. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
