import { appendFileSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { InputError, ModelGateError } from '../core/errors.js';
import { cannotWriteWorkingFiles } from './analyze-errors.js';
import { makeTempDir, removeTempDir } from './analyze-temp-dirs.js';

/**
 * Read this much at a time: the log is never held whole, only its current piece and line. Small,
 * as each piece's lines (and their parsed looks) are alive together: 1 MB pieces doubled the
 * replay's live heap on long lines and ran out of a 64 MB heap on a loaded machine.
 */
const CHUNK = 1 << 16;

/**
 * An observation log opened for reading line by line, as many times as the replay needs (it
 * reads it twice: the gates first, for the alpha split, then every look). Each pass reads the
 * same bytes: a regular file up to the size it had when opened (a log still being written is
 * read as it was then); a pipe (`<(zcat day.jsonl.gz)`), which can be read once, is copied
 * to a temporary file by its first pass, removed by `close()` or by a stop signal (analyze-temp-dirs).
 */
export interface LogLines {
  /** The log's lines, split on `\n` only (line N is the Nth element), in batches. */
  lines(): AsyncGenerator<string[]>;
  close(): Promise<void>;
}

export async function openLog(file: string): Promise<LogLines> {
  const handle = await opened(file);
  let size: number;
  let regular: boolean;
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw new InputError(`${file}: is a directory, expected a file; ${WHAT}`);
    size = stat.size;
    regular = stat.isFile();
  } catch (err) {
    await handle.close();
    throw err;
  }
  if (regular) {
    return {
      lines: () => split(file, size === 0 ? [] : handle.createReadStream(ranged(size))),
      close: () => handle.close(),
    };
  }
  let dir: string | undefined;
  return {
    async *lines() {
      if (dir) {
        const again = await open(join(dir, 'log.jsonl'), 'r');
        try {
          yield* split(file, again.createReadStream(ranged(Infinity)));
        } finally {
          await again.close();
        }
        return;
      }
      dir = makeTempDir('model-gate-analyze-pipe-');
      const copy = join(dir, 'log.jsonl');
      const keep = (chunk: string) => {
        try {
          appendFileSync(copy, chunk);
        } catch (err) {
          throw cannotWriteWorkingFiles(dir as string, err);
        }
      };
      keep('');
      // Timed only while it waits on the pipe, not while a batch is being checked.
      const waiting = new PipeWaitNotice(file);
      try {
        waiting.arm();
        const tee = (chunk: string) => {
          waiting.arm();
          keep(chunk);
        };
        for await (const batch of split(file, handle.createReadStream(ranged(Infinity)), tee)) {
          waiting.disarm();
          yield batch;
          waiting.arm();
        }
      } finally {
        waiting.disarm();
      }
    },
    async close() {
      try {
        await handle.close();
      } finally {
        if (dir) removeTempDir(dir);
      }
    },
  };
}

const WHAT = 'pass the path of an observation log (docs/observations.md)';

/** How long a pipe may give nothing, without closing, before analyze says what it waits for. */
const PIPE_QUIET_MS = 3000;

/**
 * The one line said when a pipe gives nothing for PIPE_QUIET_MS and does not close (`tail -f`, a
 * terminal as /dev/stdin): analyze judges a whole log, so it waits for the end, which would
 * otherwise look like a hang.
 */
class PipeWaitNotice {
  private timer: NodeJS.Timeout | undefined;
  private said = false;

  constructor(private readonly file: string) {}

  /** (Re)starts the wait: called as the pipe is waited on and on each piece it gives. */
  arm(): void {
    this.disarm();
    if (this.said) return;
    this.timer = setTimeout(() => {
      this.said = true;
      process.stderr.write(
        `model-gate analyze: ${this.file}: reading the pipe until it closes: analyze judges a whole log; Ctrl-C to stop\n`,
      );
    }, PIPE_QUIET_MS);
    // Never what keeps the process alive: the pipe's read is.
    this.timer.unref();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The opened file, or what is wrong with the path in words (not an errno) and what to pass. */
async function opened(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (err) {
    throw readProblem(file, err);
  }
}

function readProblem(file: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new InputError(`${file}: file not found; ${WHAT}`);
  if (code === 'EISDIR') return new InputError(`${file}: is a directory, expected a file; ${WHAT}`);
  if (code === 'EACCES' || code === 'EPERM')
    return new InputError(`${file}: permission denied; make it readable by this user`);
  return new InputError(`${file}: cannot read it: ${(err as Error).message}`);
}

/**
 * Stream options for the handle's first `end` bytes (a pipe: all it gives, read in turn, as it
 * cannot seek), decoded as UTF-8 across chunk edges.
 */
const ranged = (end: number) => ({
  ...(Number.isFinite(end) ? { start: 0, end: end - 1 } : {}),
  encoding: 'utf8' as const,
  autoClose: false,
  highWaterMark: CHUNK,
});

/**
 * The stream's text split on `\n` as `text.split('\n')` splits it (a last line without its
 * newline is a line; after a final newline comes one empty line), one batch per chunk read. A
 * line longer than a chunk is joined from its pieces once, not copied at every chunk.
 */
async function* split(
  file: string,
  stream: Readable | never[],
  tee?: (chunk: string) => void,
): AsyncGenerator<string[]> {
  let pending: string[] = [];
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      tee?.(chunk);
      const batch: string[] = [];
      let from = 0;
      for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', from)) {
        pending.push(chunk.slice(from, nl));
        batch.push(pending.length === 1 ? (pending[0] as string) : pending.join(''));
        pending = [];
        from = nl + 1;
      }
      if (from < chunk.length) pending.push(chunk.slice(from));
      if (batch.length > 0) yield batch;
    }
  } catch (err) {
    // The copy's own error (TMPDIR full) as it is: the log was read.
    throw err instanceof ModelGateError ? err : readProblem(file, err);
  }
  yield [pending.join('')];
}
