import { stat } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { InputError } from '../core/errors.js';
import { checkLedgerWritable } from '../ledger/file-ledger.js';

/**
 * Readies the ledger file of a `model-gate run` before the engine reads it. One that writes it
 * (`writes`: not status, not a dry run) changes traffic before it records the change: a ledger it
 * cannot write is refused first, where nothing has changed yet, not once the change has landed
 * unrecorded. A `--ledger` given (`given`) that names no file reads as an empty ledger, which a
 * typo in the path would give too: said in one line.
 */
export async function readyLedger(path: string, given: string | undefined, writes: boolean): Promise<void> {
  if (writes) {
    try {
      await checkLedgerWritable(path, '--ledger PATH');
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      throw new InputError(`${err.message} (nothing was changed)`);
    }
  }
  if (given === undefined || !(await absent(path))) return;
  if (writes) console.log(`ledger ${given} does not exist: starting a new one`);
  else console.error(`warning: ledger ${given} does not exist: nothing is recorded there; check --ledger`);
}

/** Whether nothing is at `path`; any other trouble reading it is the ledger's to name. */
async function absent(path: string): Promise<boolean> {
  try {
    await stat(path);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/**
 * The ledger's path as a run's last line shows it: `--ledger` as given; the default (at the
 * repository's top) relative to `cwd` when below it, else in full, never as a climb of `../`.
 */
export function shownLedger(cwd: string, path: string, given: string | undefined): string {
  if (given !== undefined) return given;
  const inside = relative(cwd, path);
  const outside = inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  return outside ? path : inside;
}
