/**
 * What `model-gate run` says of the files beside a run. A --ledger that named no file was an empty
 * ledger, silently: `run status --ledger /nonexistent/dir/ledger.json` said "nothing in flight"
 * (exit 0) and `run rollback --ledger typo/ledgr.json` started a ledger at the typo; the last line
 * showed an absolute --ledger as a climb of `../`. And a release whose gates write no observation
 * log (threshold only) left no log for README's next step, `model-gate analyze`, saying nothing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CLI_MODEL, useCliRunWorld } from '../support/cli-run-world.js';

vi.setConfig({ testTimeout: 90_000 });
const w = useCliRunWorld();

describe('model-gate run with a --ledger that names no file', () => {
  it('status says nothing is recorded there, and shows the path as given', async () => {
    const ledger = '/nonexistent/dir/ledger.json';
    const status = await w.run('status', '--ledger', ledger);
    expect(status.stderr).toBe(
      `warning: ledger ${ledger} does not exist: nothing is recorded there; check --ledger\n`,
    );
    expect(status.code).toBe(0);
    expect(status.stdout.trimEnd().split('\n').at(-1)).toBe(`ledger: ${ledger}`);
    expect(existsSync('/nonexistent')).toBe(false);
  });

  it('a rollback says it starts a new one', async () => {
    const rollback = await w.run('rollback', '--model', CLI_MODEL, '--ledger', 'typo/ledgr.json');
    expect(rollback.stdout.split('\n')[0]).toBe('ledger typo/ledgr.json does not exist: starting a new one');
    // Nothing to go back to in a new ledger.
    expect(rollback.stderr).toMatch(/the ledger has no version before v1/);
    expect(rollback.code).toBe(1);
  });
});

describe('model-gate run release whose gates write no observation log', () => {
  it('says analyze has no log of it, and why', async () => {
    await w.declare('v3');
    const released = await w.run('release');
    expect(released.code).toBe(1);
    expect(released.stdout.trimEnd().split('\n').slice(-2)).toEqual([
      'ledger: .model-gate/ledger.json',
      `no observation log: ${CLI_MODEL}'s gates are threshold, which analyze does not replay`,
    ]);
    expect(existsSync(join(w.repo.dir, '.model-gate', 'observations'))).toBe(false);
  });
});
