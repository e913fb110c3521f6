import { tmpdir } from 'node:os';
import { ModelGateError } from '../core/errors.js';

/**
 * TMPDIR cannot hold `model-gate analyze`'s working files (a piped log's copy, a long report's
 * spooled looks): missing, not a folder, not writable or full. The environment's fault, not the
 * log's nor a bug: exit 73 (EX_CANTCREAT), one line naming TMPDIR, its folder and what to do.
 */
export class WorkingFilesError extends ModelGateError {}

/**
 * The report could not be written to stdout (a full disk, an I/O error; not a reader that went
 * away, `| head`, which is quiet): exit 74 (EX_IOERR).
 */
export class ReportOutputError extends ModelGateError {}

const WHAT_TO_DO = 'set TMPDIR to a writable directory with free space and run it again';

/** The folder as the user set it: `TMPDIR /x`, or the default one when TMPDIR is unset. */
const tempFolder = () =>
  process.env.TMPDIR ? `TMPDIR ${tmpdir()}` : `the temporary directory ${tmpdir()} (TMPDIR is not set)`;

/** What stops files being made or written there, in words rather than an errno. */
function why(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ENOENT':
      return 'does not exist';
    case 'ENOTDIR':
      return 'is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'is not writable by this user';
    case 'EROFS':
      return 'is on a read-only file system';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'is full (no space left on its device)';
    default:
      return `cannot be written (${err.message})`;
  }
}

/** mkdtemp under TMPDIR failed: the folder TMPDIR names is the problem. */
export const cannotCreateWorkingFiles = (err: unknown) =>
  new WorkingFilesError(
    `cannot create its working files: ${tempFolder()} ${why(err as NodeJS.ErrnoException)}; ${WHAT_TO_DO}`,
  );

/** Writing into a working folder `dir` it made under TMPDIR failed (a disk that filled up). */
export const cannotWriteWorkingFiles = (dir: string, err: unknown) =>
  new WorkingFilesError(
    `cannot write its working files in ${dir}: it ${why(err as NodeJS.ErrnoException)}; ${WHAT_TO_DO}`,
  );
