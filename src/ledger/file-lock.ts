import { unlinkSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { setTimeout as pause } from 'node:timers/promises';
import { InputError } from '../core/errors.js';
import { STOP_SIGNALS } from '../core/stop-signals.js';

/**
 * How long a writer waits for another to release the lock before refusing. A holder keeps it for
 * one read and one write of the ledger (milliseconds), so this is a lock left behind, or a disk
 * that is stuck.
 */
export const LOCK_WAIT_MS = 10_000;

/** Who holds a lock, written in it for the message of the one who finds it taken. */
interface Holder {
  pid: number;
  host: string;
  at: string;
}

/**
 * The locks this process holds: removed on process.exit() too, which skips `finally`, and on a
 * stop signal (a cancelled job: SIGINT, then SIGTERM), which would otherwise end the process
 * holding them. The file a lock guards is whole at any moment (each write replaces it at once), so
 * removing the lock on the way out leaves nothing half done, and the post step can write.
 */
const held = new Set<string>();
let exitHooked = false;

function releaseAll() {
  for (const lock of held) {
    try {
      unlinkSync(lock);
    } catch {
      // Nothing more to do on the way out: the next writer names it.
    }
  }
  held.clear();
}

/**
 * Removes the locks, then lets the signal do what it would have done without this listener. A
 * process with a listener of its own (a `model-gate run` stopping its release, which writes the
 * ledger as it withdraws) goes on: its locks stay until their writes end, or its exit removes them.
 */
function onStopSignal(signal: NodeJS.Signals) {
  if (process.listenerCount(signal) > 1) return;
  releaseAll();
  watchSignals(false);
  process.kill(process.pid, signal);
}

/**
 * For a process about to end of a stop signal it raises itself (a cancelled Action step): its
 * locks go now, and their listener with them, so the signal finds none and ends the process at
 * once. Left to the listener, a write ending between the raise and its dispatch took the
 * listener away with its lock, and the signal with it.
 */
export function releaseLocksToEnd(): void {
  releaseAll();
  watchSignals(false);
}

/**
 * Listens to the stop signals from the first lock on, not only while one is held: a signal that
 * came while one was but reached its listener (between turns) after the last was released would
 * find none, and be lost. With no lock held, the listener does what the signal would have.
 */
function watchSignals(on: boolean) {
  for (const signal of STOP_SIGNALS) {
    process.off(signal, onStopSignal);
    if (on) process.on(signal, onStopSignal);
  }
}

/**
 * Runs `work` holding `lock`, a file created exclusively (open 'wx') and removed after, so that
 * processes sharing a file (two `model-gate run`s, a rollback beside a tick) write it one at a time.
 *
 * A lock left by a process killed while it held it (SIGKILL: a stop signal removes it first) is
 * refused, not taken over: two waiters could
 * each find it stale and remove it, the second removing the first's fresh lock, and both would
 * write, one losing the other's change. The holder keeps it for milliseconds, so one left
 * behind is rare, and the message names it and what to do. A holder on this host that is no
 * longer running is refused at once; any other after `waitMs`.
 */
export async function withFileLock<T>(
  lock: string,
  work: () => Promise<T>,
  waitMs = LOCK_WAIT_MS,
): Promise<T> {
  await acquire(lock, waitMs);
  try {
    return await work();
  } finally {
    removeHeld(lock);
  }
}

/**
 * Removes a lock this process holds, at once: a stop signal handled between forgetting it and an
 * asynchronous removal would end the process with the lock still there, and one handled between
 * that removal and forgetting it would remove another process's fresh lock. A lock that cannot
 * be removed is met, and named, by the next writer.
 */
function removeHeld(lock: string): void {
  held.delete(lock);
  try {
    unlinkSync(lock);
  } catch {
    // Named by the next writer.
  }
}

async function acquire(lock: string, waitMs: number): Promise<void> {
  let waited = 0;
  for (let step = 2; ; step = Math.min(step * 2, 100)) {
    if (await tryCreate(lock)) return;
    const holder = await holderOf(lock);
    // Released meanwhile: try again at once.
    if (holder === 'gone') continue;
    if (holder && stopped(holder)) throw new InputError(leftBehind(lock, holder));
    if (waited >= waitMs) throw new InputError(stillHeld(lock, holder, waitMs));
    await pause(step);
    waited += step;
  }
}

/** Creates the lock, saying who holds it; false when another holds it. */
async function tryCreate(lock: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  held.add(lock);
  hookExit();
  watchSignals(true);
  try {
    const holder: Holder = { pid: process.pid, host: hostname(), at: new Date().toISOString() };
    await handle.writeFile(JSON.stringify(holder));
  } catch (err) {
    removeHeld(lock);
    throw err;
  } finally {
    await handle.close();
  }
  return true;
}

function hookExit() {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', releaseAll);
}

/** Who the lock says holds it: undefined when it does not say (just created, or not ours). */
async function holderOf(lock: string): Promise<Holder | 'gone' | undefined> {
  let text: string;
  try {
    text = await readFile(lock, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return undefined;
  }
  try {
    const data = JSON.parse(text) as Partial<Holder>;
    if (Number.isInteger(data.pid) && typeof data.host === 'string' && typeof data.at === 'string')
      return data as Holder;
  } catch {
    // Not written yet, or not a lock of ours: its holder is unknown.
  }
  return undefined;
}

/** Whether the holder is a process of this host that is no longer running. */
function stopped(holder: Holder): boolean {
  if (holder.host !== hostname() || holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

const WHOLE = 'the file it guards is whole (each write replaces it at once)';

function leftBehind(lock: string, holder: Holder): string {
  return (
    `the lock ${lock} was left by process ${holder.pid}, which stopped while writing (locked at ${holder.at}): ` +
    `${WHOLE}; delete ${lock} and run again`
  );
}

function stillHeld(lock: string, holder: Holder | undefined, waitMs: number): string {
  const who = holder ? `process ${holder.pid} on ${holder.host} (locked at ${holder.at})` : 'another process';
  return (
    `the lock ${lock} is still held by ${who} after ${waitMs / 1000}s: another run may be writing; ` +
    `run again once it ends, or, if no run is using it (a process killed while writing left it), delete ${lock}`
  );
}
