import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { EndedElsewhereError, type Ledger } from '../../src/ledger/ledger.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fromSourceArgs } from '../support/source-bundle.js';

// One ledger file shared by runs at once: two `model-gate run` jobs on one runner, a
// `model-gate run rollback` beside a tick. None may write over another's change.

let path: string;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-shared-ledger-')), 'ledger.json');
});

/** ledger-writer.ts as its own process, `model`'s release saved at `steps` phases, promoted, recorded; once ready. */
async function writer(model: string, steps: number) {
  const node = await fromSourceArgs('test/ledger/ledger-writer.ts');
  const child = spawn(process.execPath, [...node, path, model, String(steps)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await once(child.stdout, 'data');
  return { go: () => child.stdin.end('go\n'), exited };
}

describe('a ledger file two processes write at once', () => {
  it("keeps each one's releases and history", async () => {
    const writers = await Promise.all([writer('fraud', 100), writer('churn', 100)]);
    for (const w of writers) w.go();
    for (const w of writers) expect(await w.exited).toEqual([0, null]);
    const file = JSON.parse(await readFile(path, 'utf8'));
    expect(file.releases.fraud).toMatchObject({ status: 'promoted', reason: 'promoted phase 100' });
    expect(file.releases.churn).toMatchObject({ status: 'promoted', reason: 'promoted phase 100' });
    expect(file.history.map((e: { model: string }) => e.model).sort()).toEqual(['churn', 'fraud']);
  });
});

/** A PR's release of fraud (v1 → v2) on a memory platform (fraudPr), each run with its own ledger on `path`. */
async function world() {
  const pr = await fraudPr();
  path = pr.ledgerPath;
  const ports = (ledger: Ledger): Ports => ({ ...pr.ports, ledger });
  const tick = { mode: 'tick' as const, maxWaitMs: 60_000, dryRun: false };
  await handlePullRequest(pr.config, pr.event(), pr.ports, tick);
  const rollback = () =>
    handleCommand(
      pr.config,
      'rollback',
      { model: 'fraud', toVersion: 'v1', dryRun: false },
      ports(fileLedger(path)),
    );
  return {
    config: pr.config,
    clock: pr.clock,
    target: pr.target,
    ports,
    tick,
    rollback,
    warnings: pr.warnings,
  };
}

describe('a rollback recorded between a tick’s check and its save', () => {
  it('stands: the tick gives the release up, and the next tick does not give v2 traffic again', async () => {
    const w = await world();
    expect(w.target.state).toMatchObject({ canary: { version: 'v2', weight: 10 } });
    // The rollback lands just before the tick's first save, after every check the tick made.
    const tickLedger = fileLedger(path);
    let meanwhile: (() => Promise<unknown>) | undefined = w.rollback;
    const racing: Ledger = {
      ...tickLedger,
      async saveRelease(release) {
        const rollback = meanwhile;
        meanwhile = undefined;
        await rollback?.();
        return tickLedger.saveRelease(release);
      },
    };
    w.clock.advance(90_000);
    const ticked = await handleSchedule(w.config, w.ports(racing), w.tick);
    // The tick hands the release to the run that ended it, saying so, and saves nothing over it.
    expect(ticked.releases).toMatchObject([
      { status: 'aborted', reason: expect.stringContaining('rollback to v1') },
    ]);
    expect(w.warnings).toEqual([
      expect.stringMatching(
        /^fraud v2 was ended by another run: a rollback to v1 by the rollback command withdrew it/,
      ),
    ]);
    expect(meanwhile).toBeUndefined();
    const rolledBack = await fileLedger(path).release('fraud');
    expect(rolledBack).toMatchObject({
      status: 'aborted',
      reason: expect.stringContaining('rollback to v1'),
    });
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });

    w.clock.advance(90_000);
    const next = await handleSchedule(w.config, w.ports(fileLedger(path)), w.tick);
    expect(next.releases).toEqual([]);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(await fileLedger(path).release('fraud')).toEqual(rolledBack);
  });

  it.each([
    ['rollback', { model: 'fraud', toVersion: 'v1', dryRun: false }],
    ['abort', { model: 'fraud', dryRun: false }],
  ] as const)(
    'a %s command while a tick steps the release up: the end stands and v2 is withdrawn',
    async (command, inputs) => {
      const w = await world();
      const mine = fileLedger(path);
      // The tick steps v2 from 10% to 50% after the command read the release, before it saved its end.
      let meanwhile: (() => Promise<unknown>) | undefined = () => {
        w.clock.advance(90_000);
        return handleSchedule(w.config, w.ports(fileLedger(path)), w.tick);
      };
      const racing: Ledger = {
        ...mine,
        async saveRelease(release) {
          const step = meanwhile;
          meanwhile = undefined;
          await step?.();
          return mine.saveRelease(release);
        },
      };
      await handleCommand(w.config, command, inputs, w.ports(racing));
      expect(meanwhile).toBeUndefined();
      expect(await fileLedger(path).release('fraud')).toMatchObject({ status: 'aborted' });
      expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    },
  );

  it("is refused at the ledger with the GitHub ledger's error, naming the run's end", async () => {
    await world();
    const tick = fileLedger(path);
    const read = await tick.release('fraud');
    if (!read) throw new Error('no release recorded');
    expect(await tick.endedElsewhere?.(read, true)).toBeUndefined();
    const command = fileLedger(path);
    const ended = {
      ...read,
      status: 'aborted' as const,
      updatedAt: read.updatedAt + 1,
      reason: 'rolled back',
    };
    await command.saveRelease(ended);
    const saving = tick.saveRelease({ ...read, phase: 1, updatedAt: read.updatedAt + 2 });
    await expect(saving).rejects.toBeInstanceOf(EndedElsewhereError);
    await expect(saving).rejects.toThrow('fraud v2 was ended by another run: rolled back');
    expect(await fileLedger(path).release('fraud')).toEqual(ended);
  });

  it('lets a run record its own end that another run settled, and a new push replace the release it read', async () => {
    await world();
    const job = fileLedger(path);
    const read = await job.release('fraud');
    if (!read) throw new Error('no release recorded');
    // The job records its rollback before withdrawing v2; a tick finds v2 withdrawn and settles it.
    const failed = { ...read, status: 'failed' as const, updatedAt: read.updatedAt + 1, reason: 'errors' };
    await job.saveRelease({ ...failed, withdrawPending: true });
    await fileLedger(path).saveRelease({
      ...failed,
      updatedAt: failed.updatedAt + 1,
      reason: 'errors; settled',
    });
    await job.saveRelease({ ...failed, updatedAt: failed.updatedAt + 2 });
    expect(await fileLedger(path).release('fraud')).toMatchObject({ status: 'failed', reason: 'errors' });

    // A new push's release replaces the one the job read, whatever another run made of that one.
    const pushed = fileLedger(path);
    const old = await pushed.release('fraud');
    if (!old) throw new Error('no release recorded');
    await fileLedger(path).saveRelease({ ...old, updatedAt: old.updatedAt + 1, reason: 'noted' });
    const v3 = { ...read, to: 'v3', startedAt: old.updatedAt + 5, updatedAt: old.updatedAt + 5 };
    await pushed.saveRelease(v3);
    expect(await fileLedger(path).release('fraud')).toEqual(v3);
  });
});
