import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p dir`, each folder tried at most twice. Node's own `mkdir(dir, { recursive: true })`
 * never returns under /proc, where a mkdir says ENOENT though the parent is there: it makes the
 * parent again and retries the folder, forever (a run spun 10 minutes on `--ledger /proc/x/l.json`).
 * Here the folder's ENOENT once its parent is made is the error thrown. A file in a folder's place
 * (EEXIST here) is met by the next mkdir or write in it, as ENOTDIR.
 */
export async function makeFolder(dir: string): Promise<void> {
  const parent = dirname(dir);
  try {
    await mkdir(dir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || parent === dir) throw err;
  }
  await makeFolder(parent);
  try {
    await mkdir(dir);
  } catch (err) {
    // Made meanwhile by another run sharing the folder: there, as asked.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
