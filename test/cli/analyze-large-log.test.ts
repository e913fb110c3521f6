/**
 * `model-gate analyze` on a log longer than it can hold: a day-long production replay. It reads
 * the log in pieces and keeps each gate's standing, not the file, so a log several times its
 * memory is analysed rather than crashing it; what it prints is what the short log's replay
 * prints, look for look; and a bad line deep in the file is still named by its number.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeCommand } from '../../src/cli/analyze-command.js';
import { analyzeLog } from '../../src/cli/analyze-replay.js';
import { runCli } from '../support/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-large-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function captured() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  return { out, err };
}

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 28, 10);

/**
 * The canary step of test/stats/analyze-command.test.ts (errors waiting, failing, then without
 * data; the split as configured), as the `step`-th hour of a longer release.
 */
function step(step: number): string[] {
  const at = (ms: number) => new Date(T0 + step * HOUR + ms).toISOString();
  const errors = (ms: number, events: number | null, total: number, baseline: [number, number]) =>
    JSON.stringify({
      time: at(ms),
      step: `hour ${step}`,
      gate: 'errors',
      kind: 'ratio',
      split: 0.05,
      canary: { events, total },
      baseline: { events: baseline[0], total: baseline[1] },
    });
  return [
    // A comment as long as a look's line, so that the log takes more than one piece to read.
    `# hour ${step} of the release`.padEnd(600, '.'),
    errors(30_000, 1, 150, [27, 2850]),
    errors(300_000, 60, 1500, [290, 28500]),
    JSON.stringify({
      time: at(300_000),
      step: `hour ${step}`,
      gate: 'split',
      kind: 'srm',
      split: 0.05,
      canary: { total: 1500 },
      baseline: { total: 28500 },
    }),
    errors(330_000, null, 1500, [290, 28500]),
  ];
}

/** A look as it reads whatever its place in the log: its verdict, evidence and note. */
const judged = (look: { verdict: string; evidence: unknown; note: string }) => [
  look.verdict,
  look.evidence,
  look.note,
];

describe('model-gate analyze on a long log', () => {
  it("prints every look as the short log's replay does, read in pieces and spooled to disk", async () => {
    const short = write('short.jsonl', step(0));
    const { out } = captured();
    expect(await analyzeCommand([short, '--json'])).toBe(1);
    const once = JSON.parse(out.join('\n'));
    out.length = 0;

    // 1,000 hours: 5,000 lines, 1.3 MB (more than one piece read, lines cut across pieces), its
    // printed looks far more than the 64 kB this run holds in memory before it writes them to its
    // temporary files.
    const hours = Array.from({ length: 1000 }, (_, h) => step(h));
    const long = write('long.jsonl', hours.flat());
    expect(await analyzeLog(long, 0.05, true, 64 * 1024)).toBe('failed');
    const doc = JSON.parse(out.join('\n'));

    expect(doc.gates.map((g: { gate: string }) => g.gate)).toEqual(['errors', 'split']);
    for (const [i, gate] of doc.gates.entries()) {
      expect(gate.looks).toHaveLength(1000 * once.gates[i].looks.length);
      const expected = hours.flatMap(() => once.gates[i].looks.map(judged));
      expect(gate.looks.map(judged)).toEqual(expected);
    }
    // A failure is final: the first hour's; the split passes anew each hour, so the last hour's.
    expect(doc.gates[0].decided).toEqual({ verdict: 'fail', time: '2026-11-28T10:05:00.000Z', line: 3 });
    expect(doc.gates[1].decided).toMatchObject({ verdict: 'pass', line: 999 * 5 + 4 });
  });

  it('names a bad line deep in a long file by its number, and judges nothing', async () => {
    const lines = Array.from({ length: 2000 }, (_, h) => step(h)).flat();
    // Line 7,503: the second look of hour 1,500, its baseline without a total.
    lines[7502] = (lines[7502] as string).replace(',"total":28500', '');
    const file = write('bad-line.jsonl', lines);
    const { out, err } = captured();
    expect(await analyzeCommand([file])).toBe(3);
    expect(err).toEqual([`model-gate analyze: ${file}:7503: baseline.total: required`]);
    expect(out).toEqual([]);
  });

  it('analyses a log several times larger than its memory, where it used to run out of it', async () => {
    // 60 MB of looks without usable latencies, at a heap of 64 MB: the file read whole, and every
    // look parsed beside it, do not fit (checked: out of memory); the CLI itself, run through tsx,
    // takes about 30 MB, which left a 32 MB heap too little margin to be steady.
    const nulls = Array(1000).fill(null);
    const looks = Array.from({ length: 6000 }, (_, i) =>
      JSON.stringify({
        time: T0 + i * 1000,
        gate: `p9${i % 3}`,
        kind: 'latency',
        canary: { samples: nulls },
        baseline: { samples: nulls },
      }),
    );
    const file = write('no-latencies.jsonl', looks);
    const run = await runCli(dir, ['analyze', file], { NODE_OPTIONS: '--max-old-space-size=64' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(
      '  p92: undecided, inconclusive at 2026-11-28T11:39:59.000Z (line 6000): NaN or null latencies',
    );
    expect(run.code).toBe(4);
  });
});
