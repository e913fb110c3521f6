import { readFile, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { didYouMean, quote } from '../config/messages.js';
import { relativePathProblem } from '../config/relative-path.js';
import type { Config } from '../config/types.js';
import { ConfigError, InputError, VersionError } from '../core/errors.js';
import { MAX_FILE_BYTES, MAX_FILE_SIZE } from './file-limit.js';
import { GitOutputTooLarge, type GitResult, runGit as git } from './git.js';
import { FOLLOWED_MODES, MAX_SYMLINK_HOPS, SYMLINK_MODE, symlinkTarget, treeEntries } from './git-tree.js';
import { readVersion } from './read-version.js';

/** Reads a file as it is at a git ref; `undefined` when the file does not exist there. */
export interface FileReader {
  read(ref: string, path: string): Promise<string | undefined>;
  /**
   * The commit `head` branched from `base` (git's merge base): a PR changes what its head differs
   * from there in, not from the base branch's tip, which may have moved on since (GitHub's
   * `pull_request.base.sha` is that tip). Absent: the `base` a reader is given is that commit (the
   * CLI's is already the merge base).
   */
  mergeBase?(base: string, head: string): Promise<string>;
}

/** A model whose declared version differs between base and head. `from` is undefined for a new model. */
export interface ChangedModel {
  model: string;
  from?: string;
  to: string;
}

/**
 * The models whose declared version the change from `base` to `head` alters, in config
 * order. A source file absent at head skips the model; absent (or unreadable) at base makes
 * it new. An invalid version at head is a `VersionError` (all of them, one line each).
 * `only` restricts the answer to one model. Models sharing a file read it once per ref only
 * through a caching reader (cachedReader), as the action's and the CLI's are.
 */
export async function findChangedModels(
  config: Config,
  reader: FileReader,
  base: string,
  head: string,
  only?: string,
  /** The files the PR touches, when known: models whose version file is not among them are skipped unread. */
  touched?: ReadonlySet<string>,
): Promise<ChangedModel[]> {
  const names = Object.keys(config.models);
  if (only !== undefined) checkModelName(config, only);
  const changed: ChangedModel[] = [];
  const problems: string[] = [];
  for (const name of only === undefined ? names : [only]) {
    const model = config.models[name];
    if (!model) continue;
    const { file, key } = model.source;
    if (touched && !touched.has(file)) continue;
    const headText = await reader.read(head, file);
    if (headText === undefined) continue;
    let to: string;
    try {
      to = readVersion(headText, { file, key });
    } catch (err) {
      if (!(err instanceof VersionError)) throw err;
      problems.push(err.message);
      continue;
    }
    const from = await baseVersion(reader, base, { file, key });
    if (from !== to) changed.push(from === undefined ? { model: name, to } : { model: name, from, to });
  }
  if (problems.length > 0) throw new VersionError(problems.join('\n'));
  return changed;
}

/**
 * How the change from `base` to `head` leaves a model's declared version as it is, read from the
 * files themselves: `absent` (no version file at head), or the `same` version as base. Undefined
 * when it does change it, or when an invalid version leaves it unknown (findChangedModels says so).
 */
export async function unchangedVersion(
  reader: FileReader,
  base: string,
  head: string,
  source: { file: string; key: string },
): Promise<{ absent: true } | { same: string } | undefined> {
  const at = await declaredVersion(reader, head, source);
  if ('absent' in at) return at;
  if ('invalid' in at) return undefined;
  const before = await baseVersion(reader, base, source);
  return before === at.version ? { same: at.version } : undefined;
}

/**
 * What one ref's version file declares, base aside: the `version`, `absent` (no such file), or
 * `invalid` with the VersionError's message (a file that does not parse, no such key, not a
 * version). A file the reader cannot fetch at all is still an error: nothing is known of it.
 */
export async function declaredVersion(
  reader: FileReader,
  ref: string,
  source: { file: string; key: string },
): Promise<{ version: string } | { absent: true } | { invalid: string }> {
  const text = await reader.read(ref, source.file);
  if (text === undefined) return { absent: true };
  try {
    return { version: readVersion(text, source) };
  } catch (err) {
    if (err instanceof VersionError) return { invalid: err.message };
    throw err;
  }
}

/** Refuses a model name the config does not declare, suggesting the closest one. */
export function checkModelName(config: Config, name: string): void {
  const names = Object.keys(config.models);
  if (names.includes(name)) return;
  const hint = didYouMean(name, names);
  throw new ConfigError([
    `unknown model ${quote(name)}${hint ? ` (did you mean "${hint}"?)` : ''}; the config declares: ${names.length > 0 ? names.join(', ') : 'no models'}`,
  ]);
}

/**
 * A commit the reader cannot read at all (not in the clone, a bad ref): nothing is known at it, so
 * not even a base is taken for one without the model. Still a VersionError to every caller.
 */
class UnreadableCommit extends VersionError {
  constructor(message: string) {
    super(message);
    this.name = 'VersionError';
  }
}

/**
 * The version at base, or undefined when there is none to read: no file, one that does not parse,
 * or one that is no file (GitHub's symlink, submodule or directory): the head version decides
 * alone, as for a new model. The head fixing such a base is a change, not a failure. A base commit
 * the reader cannot read at all is still an error.
 */
async function baseVersion(
  reader: FileReader,
  base: string,
  source: { file: string; key: string },
): Promise<string | undefined> {
  try {
    const text = await reader.read(base, source.file);
    return text === undefined ? undefined : readVersion(text, source);
  } catch (err) {
    if (err instanceof VersionError && !(err instanceof UnreadableCommit)) return undefined;
    throw err;
  }
}

const SHA = /^[0-9a-fA-F]{7,64}$/;
const REF = /^[A-Za-z0-9._/-]{1,200}$/;

/** Refuses anything but a commit SHA or a plain ref name, before git ever sees it. */
export function checkRef(ref: string): string {
  if (SHA.test(ref)) return ref;
  if (
    !REF.test(ref) ||
    ref.startsWith('-') ||
    ref.includes('..') ||
    ref.endsWith('/') ||
    ref.endsWith('.lock')
  ) {
    throw new InputError(`refusing git ref ${quote(ref)}: expected a commit SHA or a branch or tag name`);
  }
  return ref;
}

function checkPath(path: string): string {
  const problem = relativePathProblem(path);
  if (problem) throw new InputError(`refusing path ${quote(path)}: it ${problem}`);
  return path.replace(/^(\.\/)+/, '');
}

/** Why a file the reader is asked for is read, for messages about one that cannot be. */
const NAMED = "the config names it as a model's version file or an offline gate's file";

/** Files as committed, through `git show <ref>:<path>` (argument arrays only, never a shell). */
export function gitFileReader(cwd: string): FileReader {
  return {
    async mergeBase(base, head) {
      const found = await git(cwd, ['merge-base', checkRef(base), checkRef(head)]);
      if (found.code === 0) return found.stdout.trim();
      const reason = (found.stderr.trim().split('\n')[0] ?? '').slice(0, 200);
      throw new VersionError(
        `cannot tell which commit ${head} branched from on ${base} with git (${reason || `git merge-base exited with ${found.code}`}): model-gate measures what a PR changes from that commit; check out the whole history (actions/checkout with fetch-depth: 0)`,
      );
    },
    async read(ref, path) {
      const safeRef = checkRef(ref);
      const cannotRead = `cannot read ${path} at ${ref} with git`;
      // Symlinks followed so far (their targets as written): GitHub's contents API follows one to a
      // file in the repository, and so does this reader, so both ledgers read the same text.
      const links: string[] = [];
      let at = checkPath(path);
      for (;;) {
        const listed = await git(cwd, ['ls-tree', '--full-tree', '-l', '-z', safeRef, '--', at]);
        // Not even listed: the commit itself is unreadable (not in the clone, a bad ref).
        if (listed.code !== 0) throw new UnreadableCommit(`${cannotRead}: ${gitReason(listed)}`);
        const entries = treeEntries(listed.stdout);
        const entry = entries.find((e) => e.path === at);
        if (links.length === 0 && entries.length === 0) return undefined;
        if (links.length > 0 && !(entry && FOLLOWED_MODES.has(entry.mode)))
          throw notFollowed(cannotRead, links, `leads to no file at ${ref}`);
        // Refused unread when git knows it is too large; git show's output is capped the same way.
        if ((entry?.size ?? 0) > MAX_FILE_BYTES) throw tooLarge(cannotRead, entry?.size);
        const shown = await showFile(cwd, safeRef, at, cannotRead);
        // Listed but not shown: this file (a submodule, say).
        if (shown.code !== 0) throw new VersionError(`${cannotRead}: ${gitReason(shown)}`);
        if (entry?.mode !== SYMLINK_MODE) return shown.stdout;
        links.push(shown.stdout);
        if (links.length > MAX_SYMLINK_HOPS)
          throw notFollowed(cannotRead, links, `is a chain of more than ${MAX_SYMLINK_HOPS} symlinks`);
        const next = symlinkTarget(at, shown.stdout);
        if (next === undefined) throw notFollowed(cannotRead, links, 'leads outside the repository');
        at = next;
      }
    },
  };
}

/** A file's text through `git show`, up to the size GitHub's contents API serves too. */
async function showFile(cwd: string, ref: string, path: string, cannotRead: string): Promise<GitResult> {
  try {
    return await git(cwd, ['show', `${ref}:${path}`], { maxBuffer: MAX_FILE_BYTES });
  } catch (err) {
    if (err instanceof GitOutputTooLarge) throw tooLarge(cannotRead);
    throw err;
  }
}

/** A file over the size limit, worded as the GitHub reader words one its contents API refuses. */
function tooLarge(cannotRead: string, size?: number): VersionError {
  const is =
    size === undefined ? `is larger than ${MAX_FILE_SIZE}` : `is ${(size / 1024 / 1024).toFixed(1)} MB`;
  return new VersionError(
    `${cannotRead}: it ${is}, and model-gate reads files up to ${MAX_FILE_SIZE}, as GitHub's contents API serves them: keep the file the config names under ${MAX_FILE_SIZE}`,
  );
}

/** The first line of what git said on failing, or its exit code when it said nothing. */
function gitReason(result: GitResult): string {
  const reason = (result.stderr.trim().split('\n')[0] ?? '').slice(0, 200);
  return reason || `git exited with ${result.code}`;
}

/** A symlink the git reader will not follow, worded as the GitHub reader words one GitHub does not. */
function notFollowed(cannotRead: string, links: string[], why: string): VersionError {
  return new VersionError(
    `${cannotRead}: it is a symlink to ${links.map((l) => quote(l, 200)).join(' -> ')}, which model-gate does not follow as it ${why} (${NAMED}): commit the file itself there, or point the config at the file in the repository`,
  );
}

/** Files as they are on disk under `cwd`, whatever the ref (for local runs of the CLI). */
export function workingTreeReader(cwd: string): FileReader {
  return {
    async read(_ref, path) {
      const file = join(cwd, checkPath(path));
      let real: string;
      try {
        real = await realpath(file);
      } catch (err) {
        // Absent, or under a file rather than a folder: either way not there, as git would say.
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw unreadable(path, err);
      }
      const inside = relative(await realpath(cwd), real);
      if (inside.startsWith(`..${sep}`) || inside === '..') {
        throw new InputError(`refusing path ${quote(path)}: it leads outside ${cwd}`);
      }
      try {
        return await readFile(real, 'utf8');
      } catch (err) {
        throw unreadable(path, err);
      }
    },
  };
}

/**
 * A file the config names (a model's version source, an offline gate's file) that is there but
 * cannot be read: said plainly, with what to do, not as a raw errno and a stack.
 */
function unreadable(path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EISDIR')
    return new InputError(`${path}: is a directory, expected a file (${NAMED}): point the config at a file`);
  if (code === 'EACCES' || code === 'EPERM')
    return new InputError(`${path}: permission denied (${NAMED}): make it readable by this user`);
  return new InputError(`${path}: cannot read it (${NAMED}): ${(err as Error).message}`);
}

/** Files held in memory, by ref then path: for tests and the demo. */
export function memoryFileReader(files: Record<string, Record<string, string>>): FileReader {
  return {
    async read(ref, path) {
      const atRef = Object.hasOwn(files, ref) ? files[ref] : undefined;
      return atRef && Object.hasOwn(atRef, path) ? atRef[path] : undefined;
    },
  };
}
