import { mkdtempSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { STOP_SIGNALS } from '../core/stop-signals.js';
import { cannotCreateWorkingFiles } from './analyze-errors.js';

// `model-gate analyze` copies a piped log to a temporary folder and spools long output to another:
// both may hold production data, so they go on every ending. A normal end or an error removes
// them (`finally`); a stop signal would end the process without `finally`, so from the first one
// on the signal removes them first, then ends the process as it would have without a listener (a
// shell reports 128 + its number: 130 for Ctrl-C); process.exit() elsewhere skips `finally` too.

const dirs = new Set<string>();

/**
 * A new folder under TMPDIR named `prefix…`, removed by removeTempDir or, failing that, on the way
 * out. A TMPDIR that cannot hold it (missing, not a folder, read-only) is a WorkingFilesError.
 */
export function makeTempDir(prefix: string): string {
  // Listening before the folder exists: a signal that comes as it is made still finds it.
  watch(true);
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), prefix));
  } catch (err) {
    throw cannotCreateWorkingFiles(err);
  }
  dirs.add(dir);
  return dir;
}

/** Removes the folder and what it holds; a folder that cannot be removed is named, to remove by hand. */
export function removeTempDir(dir: string): void {
  dirs.delete(dir);
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(
      `model-gate analyze: cannot remove its temporary folder ${dir} (${(err as Error).message}); remove it by hand\n`,
    );
  }
}

function removeAll(): void {
  for (const dir of dirs) removeTempDir(dir);
}

function onStopSignal(signal: NodeJS.Signals): void {
  removeAll();
  watch(false);
  // Raised again without this listener, it ends the process at once. process.exit() would wait
  // for a read still blocked on the pipe (its writer may never close it: `tail -f log |`).
  process.kill(process.pid, signal);
  process.exit(128 + constants.signals[signal]);
}

/**
 * Listens from the first folder on, not only while one exists: a signal that came while one did but
 * reached its listener (between turns) after the last was removed would find none, and be lost.
 * With no folder left, the listener ends the process as the signal would have.
 */
function watch(on: boolean): void {
  for (const signal of STOP_SIGNALS) {
    process.off(signal, onStopSignal);
    if (on) process.on(signal, onStopSignal);
  }
  process.off('exit', removeAll);
  if (on) process.on('exit', removeAll);
}
