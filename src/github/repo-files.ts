import { VersionError } from '../core/errors.js';
import type { FileReader } from '../version/changed-models.js';
import { MAX_FILE_BYTES, MAX_FILE_SIZE } from '../version/file-limit.js';
import { headName } from '../version/head-name.js';
import { type GitHubClient, isNotFound } from './client.js';

export interface Repo {
  owner: string;
  repo: string;
}

/**
 * Files at any commit through the contents API: the checkout may be shallow or absent. A file
 * over 1 MB comes as `content: ""` with `encoding: "none"` and is fetched again as raw text.
 */
export function contentsReader(client: GitHubClient, repo: Repo): FileReader {
  const raw = async (ref: string, path: string): Promise<string> => {
    try {
      const res = await client.rest.repos.getContent({ ...repo, path, ref, mediaType: { format: 'raw' } });
      return rawText(res.data, path, ref);
    } catch (err) {
      if (isTooLarge(err)) throw tooLarge(path, ref);
      throw err;
    }
  };
  return {
    async read(ref, path) {
      let data: Contents | Contents[];
      try {
        data = (await client.rest.repos.getContent({ ...repo, path, ref })).data as typeof data;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        // A server that still refuses JSON for files over 1 MB (older GitHub Enterprise Server): raw may serve it.
        if (isTooLarge(err)) return raw(ref, path);
        throw err;
      }
      if (Array.isArray(data) || data.type !== 'file' || typeof data.content !== 'string')
        throw notAFile(path, ref, data);
      if (data.encoding === 'none') {
        if ((data.size ?? 0) > MAX_FILE_BYTES) throw tooLarge(path, ref, data.size);
        return raw(ref, path);
      }
      return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
    },
  };
}

/** The contents API's answer for one path (a directory's is a list of these). */
interface Contents {
  type?: string;
  content?: string;
  encoding?: string;
  size?: number;
  target?: string;
  submodule_git_url?: string;
}

/** Why a file the config names is read. As the working-tree reader (changed-models.ts) says it. */
const NAMED = "the config names it as a model's version file or an offline gate's file";

/**
 * A path the contents API answers with something other than a file's text: an error saying what
 * GitHub says it is, not an absent file (the PR's release would be skipped with no reason given).
 */
function notAFile(path: string, ref: string, data: Contents | Contents[]): VersionError {
  const at = `cannot read ${path} at ${headName(ref)} from GitHub`;
  if (Array.isArray(data) || data.type === 'dir')
    return new VersionError(
      `${at}: it is a directory, expected a file (${NAMED}): point the config at a file`,
    );
  // GitHub follows a symlink to a file in the repository and answers with that file; not this one.
  if (data.type === 'symlink')
    return new VersionError(
      `${at}: it is a symlink to ${data.target ?? 'an unnamed target'}, which GitHub does not follow as it leads outside the repository or to no file (${NAMED}): commit the file itself there, or point the config at the file in the repository`,
    );
  if (data.type === 'submodule')
    return new VersionError(
      `${at}: it is a git submodule (${data.submodule_git_url ?? 'no URL given'}), expected a file (${NAMED}): model-gate reads no submodule; commit the file in this repository and point the config at it`,
    );
  return new VersionError(
    `${at}: GitHub answered with ${data.type === 'file' ? 'a file without its content' : `a ${data.type ?? 'nameless'} entry`}, expected a file's content (${NAMED}): point the config at a file`,
  );
}

/** The raw media type's answer as text: Octokit gives text, or bytes when the type is not text. */
function rawText(data: unknown, path: string, ref: string): string {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  if (ArrayBuffer.isView(data))
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  throw new VersionError(
    `cannot read ${path} at ${headName(ref)} from GitHub: its raw contents came back as ${typeof data}, not text`,
  );
}

/** GitHub's refusal of a blob over its size limit: 403 with an error of code `too_large`. */
function isTooLarge(error: unknown): boolean {
  const e = error as { status?: number; response?: { data?: { errors?: { code?: string }[] } } };
  return e.status === 403 && (e.response?.data?.errors ?? []).some((x) => x?.code === 'too_large');
}

function tooLarge(path: string, ref: string, size?: number): VersionError {
  const is = size === undefined ? 'is larger' : `is ${(size / 1024 / 1024).toFixed(1)} MB`;
  return new VersionError(
    `cannot read ${path} at ${headName(ref)} from GitHub: it ${is}, and GitHub's contents API serves files up to ${MAX_FILE_SIZE}: keep the file the config names under ${MAX_FILE_SIZE}`,
  );
}

/** GitHub lists at most this many of a PR's files ("Responses include a maximum of 3000 files"). */
const LISTED_AT_MOST = 3000;

/**
 * Every file the PR changes (paginated), or undefined when GitHub's list may be cut short (3000
 * entries or more): a version file past the cut would pass for untouched, so every one is read.
 */
export async function changedFiles(
  client: GitHubClient,
  repo: Repo,
  pull: number,
): Promise<Set<string> | undefined> {
  const files = await client.paginate(client.rest.pulls.listFiles, {
    ...repo,
    pull_number: pull,
    per_page: 100,
  });
  if (files.length >= LISTED_AT_MOST) return undefined;
  return new Set(
    files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename])),
  );
}
