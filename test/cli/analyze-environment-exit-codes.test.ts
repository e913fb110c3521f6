/**
 * `model-gate analyze` meeting a broken environment rather than a bad log: its output cannot be
 * written (a full disk, an I/O error) or TMPDIR cannot hold its working files. Each is one line
 * saying what to fix and an exit code of its own from sysexits.h (74 EX_IOERR, 73 EX_CANTCREAT),
 * never 3 (the log is invalid) nor 70 (a bug to report). A reader that goes away (`| head`) stays
 * quiet. Each run is its own process from source, the way a user runs it.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { analyzeLog } from '../../src/cli/analyze-replay.js';
import { fromSourceArgs } from '../support/source-bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-analyze-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** One look of a gate that passes: exit 0 when the report is written. */
const LOOK = `${JSON.stringify({
  time: '2026-11-28T10:05:00Z',
  gate: 'errors',
  kind: 'ratio',
  canary: { events: 50, total: 10000 },
  baseline: { events: 900, total: 90000 },
})}\n`;
const logFile = join(dir, 'release-42.jsonl');
writeFileSync(logFile, LOOK);

/** A named pipe that gives LOOK, as `<(zcat day.jsonl.gz)` gives a log: it is copied to TMPDIR. */
function pipedLog(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  // A run that stops before reading it all (no TMPDIR to copy it to) closes the pipe: EPIPE here.
  createWriteStream(path)
    .on('error', () => {})
    .end(LOOK);
  return path;
}

/**
 * `model-gate analyze <args>` from source with `stdout` as its output (a file descriptor, or a
 * pipe the test reads) and `env` added: exit code and stderr.
 */
async function analyze(
  args: string[],
  { stdout = 'pipe', env = {} }: { stdout?: number | 'pipe'; env?: NodeJS.ProcessEnv },
) {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const proc = spawn(process.execPath, [...node, 'analyze', ...args], {
    // The bundle is built here, not by the process: what its TMPDIR holds, or not, is model-gate's doing.
    env: { ...process.env, ...env },
    stdio: ['ignore', stdout, 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  proc.stdout?.resume();
  const [code] = (await once(proc, 'exit')) as [number | null];
  return { code, stderr };
}

describe('model-gate analyze when its output cannot be written', () => {
  it('exits 74 (EX_IOERR) with one line saying so, on a full disk (/dev/full)', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const { code, stderr } = await analyze([logFile], { stdout: full });
      expect(stderr).toMatch(
        /^model-gate analyze: cannot write the report to its output: ENOSPC: no space left on device, write; check where stdout goes \(a full disk\?\) and run it again\n$/,
      );
      expect(code).toBe(74);
    } finally {
      closeSync(full);
    }
  }, 30_000);
});

describe('model-gate analyze when TMPDIR cannot hold its working files', () => {
  it('exits 73 (EX_CANTCREAT) naming TMPDIR and the missing folder, for a piped log', async () => {
    const missing = join(dir, 'no-such-folder');
    const { code, stderr } = await analyze([pipedLog('missing.pipe')], { env: { TMPDIR: missing } });
    expect(stderr).toBe(
      `model-gate analyze: cannot create its working files: TMPDIR ${missing} does not exist; set TMPDIR to a writable directory with free space and run it again\n`,
    );
    expect(code).toBe(73);
    expect(existsSync(missing)).toBe(false);
  }, 30_000);

  it('says so when TMPDIR is a file, not a folder', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const { code, stderr } = await analyze([pipedLog('file.pipe')], { env: { TMPDIR: file } });
    expect(stderr).toBe(
      `model-gate analyze: cannot create its working files: TMPDIR ${file} is not a directory; set TMPDIR to a writable directory with free space and run it again\n`,
    );
    expect(code).toBe(73);
  }, 30_000);

  it('needs no working files for a regular log: a missing TMPDIR changes nothing', async () => {
    const { code, stderr } = await analyze([logFile], { env: { TMPDIR: join(dir, 'no-such-folder') } });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  }, 30_000);

  it("says the same when a long report's looks must wait in TMPDIR", async () => {
    const missing = join(dir, 'no-such-folder');
    vi.stubEnv('TMPDIR', missing);
    vi.spyOn(console, 'log').mockImplementation(() => {});
    // A spool of 1 character: the first look goes to a working file, as a day-long log's would.
    await expect(analyzeLog(logFile, 0.05, false, 1)).rejects.toThrow(
      `cannot create its working files: TMPDIR ${missing} does not exist; set TMPDIR to a writable directory with free space and run it again`,
    );
  });
});
