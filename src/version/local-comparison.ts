import { InputError } from '../core/errors.js';
import { cachedReader } from './cached-reader.js';
import { checkRef, type FileReader, gitFileReader, workingTreeReader } from './changed-models.js';
import { repositoryTop, runGit } from './git.js';

/** The head ref that stands for the files on disk, uncommitted edits included. */
export const WORKING_TREE = ':working-tree';

/** Where a local plan compares from and to, and a reader for both sides. */
export interface LocalComparison {
  /** The repository's top folder: version files are read relative to it. */
  root: string;
  base: { ref: string; sha: string };
  /** `sha` absent: the working tree. */
  head: { ref: string; sha?: string };
  reader: FileReader;
}

/** What a PR usually merges into, most specific first: the remote's default branch, then main, master. */
const BASE_CANDIDATES = ['origin/HEAD', 'origin/main', 'main', 'origin/master', 'master'];

/**
 * Resolves `--base` and `--head` the way a PR diff does: head is the working tree unless
 * named; base is the merge-base of head with `--base` (default the first of origin/HEAD,
 * origin/main, main, origin/master, master that exists), so commits on the base branch since
 * the branch point do not count as changes of this branch.
 */
export async function localComparison(
  cwd: string,
  opts: { base?: string; head?: string },
): Promise<LocalComparison> {
  const root = await repositoryTop(cwd);
  if (root === undefined)
    throw new InputError(
      `${cwd} is not inside a git repository: run model-gate in a checkout of the repository`,
    );
  const head =
    opts.head === undefined ? undefined : { ref: opts.head, sha: await resolve(root, opts.head, '--head') };
  const headCommit = head?.sha ?? (await resolve(root, 'HEAD', 'HEAD'));
  const baseRef = opts.base ?? (await defaultBase(root));
  const baseTip = await resolve(root, baseRef, '--base');
  const merged = await runGit(root, ['merge-base', baseTip, headCommit]);
  if (merged.code !== 0)
    throw new InputError(
      `${baseRef} and ${head?.ref ?? 'HEAD'} share no history: pass --base with the branch this one started from`,
    );
  const git = gitFileReader(root);
  const disk = workingTreeReader(root);
  return {
    root,
    base: { ref: baseRef, sha: merged.stdout.trim() },
    head: head ?? { ref: 'working tree' },
    // Commits read once per run; the working tree (not a SHA) afresh each time, as it may be edited.
    reader: cachedReader({
      read: (ref, path) => (ref === WORKING_TREE ? disk.read(ref, path) : git.read(ref, path)),
    }),
  };
}

/**
 * The commit a ref names, or an error that names the flag it came from. A branch, tag or SHA
 * as `checkRef` allows, plus ancestry suffixes (`HEAD~2`, `main^`) a local user types.
 */
async function resolve(root: string, ref: string, flag: string): Promise<string> {
  checkRef(ref.replace(/(?:[~^]\d*)+$/, ''));
  const shown = await runGit(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (shown.code === 0) return shown.stdout.trim();
  if (flag === 'HEAD') throw new InputError('the repository has no commit yet: commit once, then plan');
  throw new InputError(`${flag} ${ref}: no such branch, tag or commit in this repository`);
}

async function defaultBase(root: string): Promise<string> {
  for (const ref of BASE_CANDIDATES) {
    const found = await runGit(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (found.code !== 0) continue;
    // Say which branch origin/HEAD stands for (origin/main), not the symbolic name.
    const named = await runGit(root, ['rev-parse', '--abbrev-ref', ref]);
    return named.code === 0 && named.stdout.trim() ? named.stdout.trim() : ref;
  }
  // The branches it tried, so the user sees why none would do (a repository whose branch is trunk).
  throw new InputError(
    `no base branch to compare with: none of ${BASE_CANDIDATES.join(', ')} is in this repository: pass --base with the branch the pull request merges into`,
  );
}
