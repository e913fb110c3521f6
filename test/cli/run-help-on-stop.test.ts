/**
 * `run --help` says what a Ctrl-C waits for as the run itself says it when stopped: the traffic
 * change or metrics read under way, not the traffic step (10%, 25%…) the release is in.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-run-help-'));

describe('run --help on a stop signal', () => {
  it('says the traffic change or metrics read under way finishes first, not the step', async () => {
    const run = await runCli(dir, ['run', '--help']);
    const help = run.stdout.replace(/\s+/g, ' ');
    expect(help).toContain(
      "during release, reopen, merge or close: the traffic change or metrics read under way finishes first (not the traffic step: at most the target's settle-timeout), then the candidates this run left live are withdrawn",
    );
    expect(help).toContain(
      'during tick: the traffic change or metrics read under way finishes, the rest waits for the next tick',
    );
    expect(help).not.toContain('the current step ends');
    expect(run.code).toBe(0);
  });

  it('says a command stops at once with its platform command, and a merge leaves its promotion pending', async () => {
    const run = await runCli(dir, ['run', '--help']);
    const help = run.stdout.replace(/\s+/g, ' ');
    expect(help).toContain("a merge's promotion under way left pending (merge again finishes it)");
    expect(help).toContain(
      'During rollback, promote or abort, the first signal stops the run at once with the platform command under way: its change may have reached the platform unrecorded (status shows what serves; the same command again records it).',
    );
  });
});
