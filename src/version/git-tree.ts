import { posix } from 'node:path';

/** git's mode for a symlink: its blob holds the link's target, not a file's text. */
export const SYMLINK_MODE = '120000';

/** Modes a symlink may lead to: a file (plain or executable) or another symlink. */
export const FOLLOWED_MODES: ReadonlySet<string> = new Set(['100644', '100755', SYMLINK_MODE]);

/** How many symlinks in a row the git reader follows before it calls the chain a loop. */
export const MAX_SYMLINK_HOPS = 5;

export interface TreeEntry {
  mode: string;
  /** In bytes; undefined for what is no blob (a folder, a submodule). */
  size?: number;
  path: string;
}

/** The entries of `git ls-tree -l -z` output (`<mode> <type> <object> <size>\t<path>`, NUL-separated). */
export function treeEntries(listed: string): TreeEntry[] {
  return listed
    .split('\0')
    .filter((line) => line !== '')
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', , , size = '-'] = line.slice(0, tab).split(/ +/);
      const path = line.slice(tab + 1);
      return size === '-' ? { mode, path } : { mode, size: Number(size), path };
    });
}

/**
 * Where a symlink at `link` leads, as a path from the repository's top (a relative target is
 * relative to the link's folder, as the file system reads it); undefined when it leads outside the
 * repository (an absolute target, or one that climbs above the top).
 */
export function symlinkTarget(link: string, target: string): string | undefined {
  if (target.startsWith('/')) return undefined;
  const path = posix.normalize(posix.join(posix.dirname(link), target));
  return path === '..' || path.startsWith('../') ? undefined : path;
}
