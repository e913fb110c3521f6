/**
 * `model-gate analyze`'s exit code tells a script what the log shows, one code per outcome:
 * 0 every gate passed, 1 a gate failed, 2 a usage error, 3 the file is unreadable or invalid,
 * 4 no gate failed but one is still undecided. Through main(), as the command line runs it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-exit-'));

const errors = (gate: string, events: number | null) => ({
  time: '2026-11-28T10:05:00Z',
  gate,
  kind: 'ratio',
  canary: { events, total: 10000 },
  baseline: { events: 900, total: 90000 },
});
const PASSES = errors('errors', 50); // 0.5% against 1%
const FAILS = errors('errors', 300); // 3% against 1%
const WAITS = errors('nulls', 100); // 1% against 1%: not decided yet
const NO_DATA = errors('nulls', null);

/** `model-gate analyze <file>` with `lines` as the file (or `text` as it is): exit code and stderr. */
async function analyze(lines: object[] | string, ...options: string[]) {
  const file = join(dir, 'log.jsonl');
  writeFileSync(
    file,
    typeof lines === 'string' ? lines : `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
  );
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  const code = await main(['analyze', file, ...options]);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => vi.restoreAllMocks());

describe('model-gate analyze exit codes', () => {
  it('0 when every gate passed', async () => {
    expect((await analyze([PASSES])).code).toBe(0);
  });

  it('1 when a gate failed, whatever the others did', async () => {
    expect((await analyze([FAILS, NO_DATA])).code).toBe(1);
  });

  it('2 on a usage error', async () => {
    expect((await analyze([PASSES], '--alpha', '2')).code).toBe(2);
  });

  it('3 when the file is invalid or unreadable, saying why', async () => {
    const invalid = await analyze('not json\n');
    expect(invalid.err).toMatch(/log\.jsonl:1: not JSON$/);
    expect(invalid.code).toBe(3);
    const missing = await main(['analyze', join(dir, 'nope.jsonl')]);
    expect(missing).toBe(3);
  });

  it('4 when nothing failed but a gate is still waiting or inconclusive', async () => {
    expect((await analyze([PASSES, WAITS])).code).toBe(4);
    expect((await analyze([PASSES, NO_DATA])).code).toBe(4);
  });

  it('lists them in --help', async () => {
    const out: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    expect(await main(['analyze', '--help'])).toBe(0);
    const help = out.join('\n').replace(/\s+/g, ' ');
    expect(help).toContain(
      'exit code: 0 when every gate passed, 1 when a gate failed, 2 on a usage error, 3 when the file is unreadable or invalid',
    );
    expect(help).toContain(
      '4 when no gate failed but one is still undecided (waiting or inconclusive at its last look)',
    );
    expect(help).toContain('73 when TMPDIR cannot hold its working files');
    expect(help).toContain('74 when the report cannot be written to stdout');
  });
});
