/**
 * A wrong file given to `model-gate analyze` (a gzipped log, a binary) does not flood the
 * terminal with one error a line: the first 20 problems are printed, then how many more, and a
 * file whose first lines are not JSON gets a hint of what it may be. The exit code stays 3.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-many-'));

async function analyze(name: string, content: string | Buffer) {
  const file = join(dir, name);
  writeFileSync(file, content);
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { file, status: await analyzeCommand([file]), err };
}

afterEach(() => vi.restoreAllMocks());

const look = (time: number, total: number) =>
  JSON.stringify({
    time,
    gate: 'split',
    kind: 'srm',
    split: 0.5,
    canary: { total },
    baseline: { total: 10 },
  });
const log = (n: number, total: number) =>
  `${Array.from({ length: n }, (_, i) => look(i + 1, total)).join('\n')}\n`;

/** Bytes that look random (a fixed seed, so every run reads the same file), with a newline now and then. */
function noise(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  let x = 2463534242;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

describe('analyze on a file with many problems', () => {
  it('prints the first 20, then how many more', async () => {
    const { file, status, err } = await analyze('bad-counts.jsonl', log(100, -1));
    expect(err).toHaveLength(21);
    expect(err[0]).toBe(`model-gate analyze: ${file}:1: canary.total: expected a number at least 0, got -1`);
    expect(err[19]).toMatch(new RegExp(`^model-gate analyze: ${file}:20: canary.total: `));
    expect(err[20]).toBe('model-gate analyze: … and 80 more problems');
    expect(status).toBe(3);
  });

  it('says a gzipped log is compressed and how to read it', async () => {
    const { file, status, err } = await analyze('day.jsonl.gz', gzipSync(log(5000, 10)));
    expect(err.length).toBeLessThanOrEqual(22);
    expect(err.at(-1)).toBe(
      `model-gate analyze: ${file}: is gzip-compressed; analyze reads JSON lines: decompress it, e.g. analyze <(zcat ${file})`,
    );
    expect(status).toBe(3);
  });

  it('asks whether a binary file is compressed or binary', async () => {
    const { file, status, err } = await analyze('noise.bin', noise(1 << 20));
    expect(err).toHaveLength(22);
    expect(err[20]).toMatch(/^model-gate analyze: … and \d+ more problems$/);
    expect(err[21]).toBe(
      `model-gate analyze: ${file}: its first lines are not JSON: is it compressed or binary? analyze reads JSON lines, one observation a line (docs/observations.md)`,
    );
    expect(status).toBe(3);
  });

  it('gives no hint for a log with a few lines that are not JSON', async () => {
    const { file, status, err } = await analyze('two-bad.jsonl', `${log(3, 10)}oops\n{"time":\n`);
    expect(err).toEqual([
      `model-gate analyze: ${file}:4: not JSON`,
      `model-gate analyze: ${file}:5: not JSON`,
    ]);
    expect(status).toBe(3);
  });
});
