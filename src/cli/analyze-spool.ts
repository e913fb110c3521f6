import { appendFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { cannotWriteWorkingFiles } from './analyze-errors.js';
import { makeTempDir, removeTempDir } from './analyze-temp-dirs.js';

/** Held in memory before the spool moves its text to files: a small log never touches the disk. */
export const SPOOL_BYTES = 8 << 20;

/**
 * Each gate's printed looks, kept until the end (the output is grouped by gate, the log
 * interleaves them), in memory up to `limit` characters in all, then appended to one
 * temporary file per gate: memory stays bounded however long the log. The files' folder is
 * removed by `close()` or by a stop signal (analyze-temp-dirs).
 */
export class LookSpool {
  private readonly parts: string[][] = [];
  private readonly counts: number[] = [];
  private readonly onDisk = new Set<number>();
  private held = 0;
  private dir: string | undefined;

  /** `separator` goes between two looks of a gate (`\n` for text, `,\n` for JSON). */
  constructor(
    private readonly separator: string,
    private readonly limit = SPOOL_BYTES,
  ) {}

  add(gate: number, text: string): void {
    const count = this.counts[gate] ?? 0;
    const entry = count === 0 ? text : `${this.separator}${text}`;
    this.counts[gate] = count + 1;
    const held = this.parts[gate] ?? [];
    held.push(entry);
    this.parts[gate] = held;
    this.held += entry.length;
    if (this.held > this.limit) this.flush();
  }

  /** A gate's looks as written, in pieces (a piece may end mid-line). */
  async *read(gate: number): AsyncGenerator<string> {
    if (this.onDisk.has(gate))
      yield* createReadStream(this.file(gate), { encoding: 'utf8', highWaterMark: 1 << 20 });
    const held = this.parts[gate];
    if (held && held.length > 0) yield held.join('');
  }

  /** Deletes the temporary files, if any. */
  close(): void {
    if (this.dir) removeTempDir(this.dir);
    this.dir = undefined;
  }

  private flush(): void {
    this.dir ??= makeTempDir('model-gate-analyze-spool-');
    this.parts.forEach((held, gate) => {
      if (held.length === 0) return;
      try {
        appendFileSync(this.file(gate), held.join(''));
      } catch (err) {
        throw cannotWriteWorkingFiles(this.dir as string, err);
      }
      this.parts[gate] = [];
      this.onDisk.add(gate);
    });
    this.held = 0;
  }

  private file(gate: number): string {
    return join(this.dir as string, `gate-${gate}.txt`);
  }
}

/** Stdout failed while the report was written: `| head` went away (EPIPE), or another write error. */
export class OutputFailed extends Error {
  constructor(readonly error: NodeJS.ErrnoException) {
    super(error.message);
  }
}

/**
 * Stdout as console.log writes it, fed in pieces: whole lines go out in batches of about
 * `batch` characters, and a small output is one console.log of the whole text, as it always was.
 * Once stdout fails, `write` throws OutputFailed: the rest of the report has nowhere to go, and
 * the failure (an 'error' event, which unheard would end the process with a stack trace) is
 * the caller's to handle, after it removes its temporary files.
 */
export class LineOutput {
  private text = '';
  // Heard from the first write to the last one's end: a write fails after it is made.
  private readonly heard = () => {};

  constructor(private readonly batch = 1 << 20) {
    process.stdout.on('error', this.heard);
  }

  write(piece: string): void {
    this.failed();
    this.text += piece;
    if (this.text.length < this.batch) return;
    const nl = this.text.lastIndexOf('\n');
    if (nl < 0) return;
    console.log(this.text.slice(0, nl));
    this.text = this.text.slice(nl + 1);
  }

  /** Writes the rest and waits until stdout has taken it all; the write error, if one failed. */
  async end(): Promise<NodeJS.ErrnoException | undefined> {
    try {
      if (!process.stdout.errored) console.log(this.text);
      const flushed = await new Promise<Error | null | undefined>((done) => process.stdout.write('', done));
      const error = process.stdout.errored ?? flushed;
      return error ? (error as NodeJS.ErrnoException) : undefined;
    } finally {
      // After the error event of a failed write, which comes on a later tick than its callback.
      setImmediate(() => process.stdout.off('error', this.heard));
    }
  }

  /** Throws OutputFailed once stdout has failed. */
  private failed(): void {
    const error = process.stdout.errored;
    if (error) throw new OutputFailed(error as NodeJS.ErrnoException);
  }
}
