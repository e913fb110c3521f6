import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

// `run tick` is one pass, as the action's tick: `--mode watch` with it is refused as a usage
// error (exit 2, before anything is read), not silently done as one pass.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-tick-mode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const RUN = 'usage: model-gate run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options]';

describe('model-gate run tick --mode watch', () => {
  it('exits 2 saying a tick is always one pass and what to do instead', async () => {
    const run = await runCli(dir, ['run', 'tick', '--mode', 'watch']);
    expect(run.stderr).toBe(
      `model-gate run: --mode watch does not apply to tick, which is always one pass: drop --mode, or run release to watch (${RUN})\n`,
    );
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
  });

  it('is documented: --help says the tick event is always one pass', async () => {
    const run = await runCli(dir, ['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('tick      a schedule tick (advance analyses by one pass, drift watches)');
    expect(run.stdout).toMatch(
      /--mode watch\|tick {3}release: watch \(default\) [^\n]*\n\s+\(the tick event is always one pass\)/,
    );
  });
});
