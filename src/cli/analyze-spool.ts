import { appendFileSync, createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Held in memory before the spool moves its text to files: a small log never touches the disk. */
export const SPOOL_BYTES = 8 << 20;

/**
 * Each gate's printed looks, kept until the end (the output is grouped by gate, the log
 * interleaves them), in memory up to `limit` characters in all, then appended to one
 * temporary file per gate: memory stays bounded however long the log.
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
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(): void {
    this.dir ??= mkdtempSync(join(tmpdir(), 'model-gate-analyze-spool-'));
    this.parts.forEach((held, gate) => {
      if (held.length === 0) return;
      try {
        appendFileSync(this.file(gate), held.join(''));
      } catch (err) {
        throw new Error(
          `cannot write the replay's working files under ${this.dir}: ${(err as Error).message}; free space there or set TMPDIR`,
        );
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

/**
 * Stdout as console.log writes it, fed in pieces: whole lines go out in batches of about
 * `batch` characters, and a small output is one console.log of the whole text, as it always was.
 */
export class LineOutput {
  private text = '';

  constructor(private readonly batch = 1 << 20) {}

  write(piece: string): void {
    this.text += piece;
    if (this.text.length < this.batch) return;
    const nl = this.text.lastIndexOf('\n');
    if (nl < 0) return;
    console.log(this.text.slice(0, nl));
    this.text = this.text.slice(nl + 1);
  }

  end(): void {
    console.log(this.text);
  }
}
