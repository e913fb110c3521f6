import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelOutcomes } from '../../src/action/outcome.js';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { ConfigError, InputError, TargetError } from '../../src/core/errors.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { type CommandInputs, handleCommand, RECENT_ROLLBACK_MS } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { runDecision } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML, sha } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';

// workflow_dispatch and schedule commands on a local ledger, a memory target and a fake clock,
// after pull requests played through the engine.
const CONFIG = `${FRAUD_CANARY_YAML}  churn:
    source: { file: churn.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

async function world() {
  const { config } = parseConfig(CONFIG, {});
  const clock = new FakeClock();
  const ledgerPath = join(await mkdtemp(join(tmpdir(), 'model-gate-dispatch-')), 'ledger.json');
  const ledger = fileLedger(ledgerPath);
  const targets = new Map<string, MemoryTarget>();
  const files: Record<string, Record<string, string>> = {};
  const metrics = new ScriptedMetrics({
    stable: { rps: 90, values: { 'error-rate': 0.005 } },
    canary: { rps: 20, values: { 'error-rate': 0.005 } },
  });
  const targetOf = (name: string) => {
    let t = targets.get(name);
    if (!t) {
      t = new MemoryTarget({ stable: { version: 'v1' } });
      targets.set(name, t);
    }
    return t;
  };
  const ports: Ports = {
    ledger,
    reader: memoryFileReader(files),
    clock,
    log: { info: () => {}, warn: () => {} },
    targetFor: (m) => targetOf(m.name),
    metricsFor: () => metrics,
  };
  let commits = 0;
  const opts = (mode: 'watch' | 'tick') => ({ mode, maxWaitMs: 3_600_000, dryRun: false });
  /** A PR of `fraud` from `from` to `to`: analysed to the end (`watch`) or for one pass (`tick`). */
  async function openPr(number: number, from: string, to: string, mode: 'watch' | 'tick' = 'watch') {
    const base = sha(++commits);
    const head = sha(++commits);
    files[base] = { 'fraud.yaml': `version: ${from}\n` };
    files[head] = { 'fraud.yaml': `version: ${to}\n` };
    const event = { action: 'opened', number, baseSha: base, headSha: head, merged: false };
    const result = await handlePullRequest(config, event, ports, opts(mode));
    return { event, result };
  }
  async function merge(event: Awaited<ReturnType<typeof openPr>>['event']) {
    return handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, opts('watch'));
  }
  /** PR `number` moves fraud from what serves to `to`, passes and is merged. */
  async function promoted(number: number, from: string, to: string) {
    const { event, result } = await openPr(number, from, to);
    expect(result.releases[0]?.status).toBe('ready');
    expect((await merge(event)).releases[0]?.status).toBe('promoted');
  }
  const command = (name: 'rollback' | 'promote' | 'abort' | 'status', inputs: Partial<CommandInputs> = {}) =>
    handleCommand(
      config,
      name,
      { model: 'fraud', dryRun: false, trigger: 'workflow_dispatch', ...inputs },
      ports,
    );
  const report = (result: RunResult) => renderMarkdown(config, result, { now: clock.now() });
  return {
    config,
    clock,
    ledger,
    ports,
    target: targetOf('fraud'),
    openPr,
    merge,
    promoted,
    command,
    report,
  };
}

describe('rollback without to-version: the previous stable', () => {
  it('refuses a second rollback that would go forth to the version the first one left', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    const first = await w.command('rollback');
    expect(first.rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });

    // Past the window in which a second rollback without to-version stays (a double click).
    w.clock.advance(RECENT_ROLLBACK_MS);
    const again = w.command('rollback');
    await expect(again).rejects.toThrow(InputError);
    await expect(w.command('rollback')).rejects.toThrow(
      'rollback fraud: set to-version; the ledger has no version before v1 that was not rolled back (v2 was)',
    );
    // Nothing served or recorded by the refused rollback.
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect((await w.ledger.history('fraud')).map((e) => `${e.kind} ${e.previous}->${e.version}`)).toEqual([
      'promotion v1->v2',
      'rollback v2->v1',
    ]);
  });

  it('goes further back on each rollback, and any version stays reachable with to-version', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.promoted(3, 'v2', 'v3');
    expect((await w.command('rollback')).rollbacks).toMatchObject([{ version: 'v2', previous: 'v3' }]);
    w.clock.advance(RECENT_ROLLBACK_MS);
    expect((await w.command('rollback')).rollbacks).toMatchObject([{ version: 'v1', previous: 'v2' }]);
    w.clock.advance(RECENT_ROLLBACK_MS);
    await expect(w.command('rollback')).rejects.toThrow(
      'the ledger has no version before v1 that was not rolled back (v2, v3 were)',
    );
    // The operator can still name a version that was rolled back away from.
    const pinned = await w.command('rollback', { toVersion: 'v3' });
    expect(pinned.rollbacks).toMatchObject([{ version: 'v3', previous: 'v1' }]);
    expect(w.target.state).toEqual({ stable: { version: 'v3' } });
  });

  it('never goes forth to a newer version when the platform serves an older one than the ledger says', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.promoted(3, 'v2', 'v3');
    // v3 turned out bad: someone put v2 back by hand, as the rollback would have. The rollback
    // records it (as one whose run was lost before its record), going neither forth nor further back.
    await w.target.write({ stable: { version: 'v2' } });
    const writes = w.target.writes.length;
    expect((await w.command('rollback')).rollbacks).toMatchObject([{ version: 'v2', previous: 'v3' }]);
    expect(w.target.writes).toHaveLength(writes);
    // v1 put back by hand after promotions to v2 and v3: how far back to go is the operator's call.
    const x = await world();
    await x.promoted(2, 'v1', 'v2');
    await x.promoted(3, 'v2', 'v3');
    await x.target.write({ stable: { version: 'v1' } });
    await expect(x.command('rollback')).rejects.toThrow(
      "rollback fraud: set to-version; v1 serves, but the ledger's last entry leaves v3 serving (changed outside model-gate?): to go further back from a version put back by hand, name the version to serve",
    );
    expect(x.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('stays where a rollback by command less than 10 minutes ago left the model, saying so', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.promoted(3, 'v2', 'v3');
    expect((await w.command('rollback')).rollbacks).toMatchObject([{ version: 'v2', previous: 'v3' }]);
    const writes = w.target.writes.length;
    w.clock.advance(RECENT_ROLLBACK_MS - 1_000);
    const again = await w.command('rollback');
    expect(runDecision(again)).toBe('skipped');
    expect(again.rollbacks ?? []).toEqual([]);
    expect(w.report(again)).toContain(
      '- fraud: v3 was rolled back to v2 by workflow\\_dispatch 9m59s ago; nothing changed: a rollback without to-version within 10m of another goes no further back (a second click, or a second engineer on the same incident); set to-version to go further back',
    );
    // A dry run says the same; a named version goes where it is told.
    const dry = await w.command('rollback', { dryRun: true });
    expect(dry.skipped).toMatchObject([
      { kind: 'note', why: expect.stringMatching(/^v3 was rolled back to v2 /) },
    ]);
    expect(w.target.writes).toHaveLength(writes);
    expect((await w.command('rollback', { toVersion: 'v1' })).rollbacks).toMatchObject([
      { version: 'v1', previous: 'v2' },
    ]);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('within those 10 minutes still withdraws a candidate in flight since, going no further back', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.promoted(3, 'v2', 'v3');
    await w.command('rollback');
    const { result: opened } = await w.openPr(4, 'v2', 'v4', 'tick');
    expect(opened.releases[0]?.status).toBe('analysing');
    const result = await w.command('rollback');
    expect(runDecision(result)).toBe('aborted');
    expect(result.rollbacks ?? []).toEqual([]);
    expect(result.releases).toMatchObject([{ to: 'v4', pr: 4, status: 'aborted' }]);
    expect(w.report(result)).toMatch(
      /- fraud: v3 was rolled back to v2 by workflow\\_dispatch \d+s ago; v2 stays: a rollback without to-version/,
    );
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('says to set to-version when the ledger knows no earlier version', async () => {
    const w = await world();
    await expect(w.command('rollback')).rejects.toThrow(
      'rollback fraud: set to-version; the ledger has no version before v1',
    );
  });
});

describe('rollback to the version already serving', () => {
  it('records nothing and says that nothing changed', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.command('rollback');
    const writes = w.target.writes.length;
    const result = await w.command('rollback', { toVersion: 'v1' });
    expect(runDecision(result)).toBe('skipped');
    expect(result.rollbacks ?? []).toEqual([]);
    expect(result.notify ?? []).toEqual([]);
    expect(w.report(result)).toContain('- fraud: v1 already serves: nothing to roll back, nothing changed');
    expect(w.target.writes).toHaveLength(writes);
    expect(await w.ledger.history('fraud')).toHaveLength(2);
  });

  it('still withdraws a candidate in flight, without recording a rollback', async () => {
    const w = await world();
    const { result: opened } = await w.openPr(3, 'v1', 'v4', 'tick');
    expect(opened.releases[0]?.status).toBe('analysing');
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v4', weight: 10 } });
    const result = await w.command('rollback', { toVersion: 'v1' });
    expect(runDecision(result)).toBe('aborted');
    expect(result.rollbacks ?? []).toEqual([]);
    expect(result.releases).toMatchObject([{ model: 'fraud', to: 'v4', pr: 3, status: 'aborted' }]);
    expect(w.report(result)).toContain(
      '- fraud v4 was withdrawn: a rollback to v1 by workflow\\_dispatch withdrew it (v1 already served, so no rollback was recorded)',
    );
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    expect(await w.ledger.history('fraud')).toEqual([]);
    expect((await w.ledger.release('fraud'))?.status).toBe('aborted');
  });
});

describe('rollback to the candidate in flight', () => {
  it('refuses the candidate that is ready, changing nothing, and says to merge or promote it', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    const { event } = await w.openPr(3, 'v2', 'v4');
    const writes = w.target.writes.length;
    const before = structuredClone(w.target.state);
    const rollback = w.command('rollback', { toVersion: 'v4' });
    await expect(rollback).rejects.toThrow(InputError);
    await expect(w.command('rollback', { toVersion: 'v4' })).rejects.toThrow(
      'rollback fraud: to-version v4 is the candidate in flight (PR #3, ready to merge; live traffic now: v2 100%), not an earlier version; to make v4 serve, merge PR #3 or use the promote command',
    );
    // Nothing served, withdrawn or recorded: the merge still promotes v4.
    expect(w.target.writes).toHaveLength(writes);
    expect(w.target.state).toEqual(before);
    expect((await w.ledger.release('fraud'))?.status).toBe('ready');
    expect((await w.ledger.history('fraud')).map((e) => e.kind)).toEqual(['promotion']);
    const merged = await w.merge(event);
    expect(runDecision(merged)).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
  });

  it('the promote command it names for the ready candidate serves it', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.openPr(3, 'v2', 'v4');
    await expect(w.command('rollback', { toVersion: 'v4' })).rejects.toThrow('or use the promote command');
    const promoted = await w.command('promote');
    expect(runDecision(promoted)).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
  });

  it('refuses the candidate still analysing, naming the input as the caller knows it and what serves', async () => {
    const w = await world();
    // With a ledger history, as in production: a version that never served is refused by a
    // rollback even once its release is aborted, so the refusal offers no such way round.
    await w.promoted(2, 'v1', 'v2');
    await w.openPr(3, 'v2', 'v4', 'tick');
    expect(w.target.state).toEqual({ stable: { version: 'v2' }, canary: { version: 'v4', weight: 10 } });
    await expect(w.command('rollback', { toVersion: 'v4', toVersionName: '--to-version' })).rejects.toThrow(
      'rollback fraud: --to-version v4 is the candidate in flight (PR #3, still analysing; live traffic now: v2 90% / v4 10%), not an earlier version; to make v4 serve, wait for its analysis to pass, then merge PR #3 or use the promote command',
    );
    expect(w.target.state).toEqual({ stable: { version: 'v2' }, canary: { version: 'v4', weight: 10 } });
    expect((await w.ledger.release('fraud'))?.status).toBe('analysing');
    // As the refusal says: not yet (promote takes a ready release only), but once its analysis
    // passes, the promote command serves v4.
    await expect(w.command('promote')).rejects.toThrow(
      'promote fraud: no release is ready (last: v4 analysing)',
    );
    for (let tick = 0; tick < 20 && (await w.ledger.release('fraud'))?.status === 'analysing'; tick++) {
      w.clock.advance(60_000);
      await handleSchedule(w.config, w.ports, { mode: 'tick', maxWaitMs: 0 });
    }
    expect((await w.ledger.release('fraud'))?.status).toBe('ready');
    const promoted = await w.command('promote');
    expect(runDecision(promoted)).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
  });

  it('rolls back to a previous stable that a PR in flight brings back: it served before', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.openPr(3, 'v2', 'v1', 'tick');
    expect(w.target.state).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 10 } });
    const writes = w.target.writes.length;
    const result = await w.command('rollback');
    // One call serves v1 and empties the canary slot; the rollback is on record.
    expect(w.target.writes.slice(writes)).toEqual([{ stable: { version: 'v1' } }]);
    expect(result.rollbacks).toMatchObject([{ kind: 'rollback', version: 'v1', previous: 'v2' }]);
    expect(await w.ledger.history('fraud')).toHaveLength(2);
    expect((await w.ledger.release('fraud'))?.status).toBe('aborted');
  });
});

describe('rollback to the candidate in flight that served before (a revert PR)', () => {
  /** v4 served, v5 replaced it, PR #4 reverts to v4 and is `state` when v5 is rolled back. */
  async function revertInFlight(mode: 'watch' | 'tick') {
    const w = await world();
    await w.promoted(2, 'v1', 'v4');
    await w.promoted(3, 'v4', 'v5');
    const revert = await w.openPr(4, 'v5', 'v4', mode);
    expect(revert.result.releases[0]?.status).toBe(mode === 'watch' ? 'ready' : 'analysing');
    return { w, revert: revert.event };
  }
  const stopped =
    "v4 now serves as stable: a rollback by workflow_dispatch went back to it; PR #4's analysis of it stopped";

  it('serves v4 in one call, records the rollback, and says so without calling v4 withdrawn', async () => {
    const { w } = await revertInFlight('watch');
    const writes = w.target.writes.length;
    const result = await w.command('rollback');
    expect(w.target.writes.slice(writes)).toEqual([{ stable: { version: 'v4' } }]);
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
    expect(result.rollbacks).toMatchObject([{ kind: 'rollback', version: 'v4', previous: 'v5' }]);
    expect(result.notify).toEqual([
      { pr: 3, model: 'fraud', why: 'v5 was rolled back to v4 by workflow_dispatch' },
    ]);
    expect(result.releases).toMatchObject([{ to: 'v4', pr: 4, status: 'aborted', reason: stopped }]);
    expect(await w.ledger.release('fraud')).toMatchObject({ status: 'aborted', reason: stopped });

    // The dispatch report and PR #4's comment (the same render of its release) agree.
    const text = w.report(result);
    expect(runDecision(result)).toBe('rolled-back');
    expect(text).toContain('## model-gate: ↩️ Rolled back by command');
    expect(text).toContain(`- fraud ${stopped.replaceAll('_', '\\_')}`);
    expect(text).toContain('- fraud now serves v4 (was v5): rolled back by workflow\\_dispatch');
    expect(text).not.toContain('withdrawn:');
    expect(text).not.toMatch(/v4 (was )?withdrawn/);
    // The action's `models` output.
    expect(modelOutcomes(result.releases, result.rollbacks)).toEqual([
      {
        model: 'fraud',
        from: 'v5',
        to: 'v4',
        pr: 4,
        status: 'rolled-back',
        reason:
          'rolled back by workflow_dispatch; the candidate v4 of PR #4 now serves as stable, its analysis stopped',
      },
    ]);
  });

  it('does the same for a named to-version while the revert is still analysing', async () => {
    const { w } = await revertInFlight('tick');
    expect(w.target.state).toEqual({ stable: { version: 'v5' }, canary: { version: 'v4', weight: 10 } });
    const result = await w.command('rollback', { toVersion: 'v4' });
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
    expect(result.rollbacks).toMatchObject([{ version: 'v4', previous: 'v5' }]);
    expect(result.releases[0]?.reason).toBe(stopped);
    expect(result.releases[0]?.phases.map((p) => p.outcome)).toEqual(['withdrawn']);
  });

  it('says in a dry run that it would stop the analysis, not withdraw v4', async () => {
    const { w } = await revertInFlight('watch');
    const before = structuredClone(w.target.state);
    const result = await w.command('rollback', { dryRun: true });
    expect(result.skipped).toEqual([
      {
        model: 'fraud',
        why: 'would roll back v5 -> v4, which stops the analysis of v4 (PR #4)',
        kind: 'dry-run',
      },
    ]);
    expect(w.target.state).toEqual(before);
    expect((await w.ledger.release('fraud'))?.status).toBe('ready');
  });

  it('a re-run on the revert head says v4 serves, not that its candidate was withdrawn', async () => {
    const { w, revert } = await revertInFlight('watch');
    await w.command('rollback');
    const writes = w.target.writes.length;
    const again = await handlePullRequest(w.config, { ...revert, action: 'synchronize' }, w.ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: false,
    });
    expect(again.skipped).toEqual([
      {
        model: 'fraud',
        why: `this head (${revert.headSha.slice(0, 7)}) already ended: ${stopped}; there is nothing left to analyse, and merging the PR changes nothing while v4 serves`,
        kind: 'note',
      },
    ]);
    expect(again.releases).toMatchObject([{ to: 'v4', status: 'aborted', reason: stopped }]);
    expect(w.target.writes).toHaveLength(writes);
  });

  it('then merging the revert promotes nothing and says v4 is already the stable version', async () => {
    const { w, revert } = await revertInFlight('watch');
    await w.command('rollback');
    const writes = w.target.writes.length;
    const merged = await w.merge(revert);
    expect(w.target.writes).toHaveLength(writes);
    expect(w.target.state).toEqual({ stable: { version: 'v4' } });
    expect(merged.skipped).toEqual([
      { model: 'fraud', why: 'v4 is already the stable version, so the merge changed nothing', kind: 'note' },
    ]);
    expect(runDecision(merged)).toBe('skipped');
    const text = w.report(merged);
    expect(text).toContain('## model-gate: ℹ️ Nothing to release');
    expect(text).not.toContain('not promoted');
    expect(text).not.toContain('was promoted');
    expect((await w.ledger.history('fraud')).map((e) => `${e.kind} ${e.previous}->${e.version}`)).toEqual([
      'promotion v1->v4',
      'promotion v4->v5',
      'rollback v5->v4',
    ]);
  });
});

describe('inputs checked before the platform is asked', () => {
  it('refuses a hostile to-version even while the target cannot be read', async () => {
    const w = await world();
    w.target.read = async () => {
      throw new TargetError('memory target: platform unavailable');
    };
    await expect(w.command('rollback', { toVersion: '$(id)' })).rejects.toThrow(
      'input: key "to-version": "$(id)" is not a valid version',
    );
  });

  it('shows an unknown model name escaped, cut short and on one line', async () => {
    const w = await world();
    const hostile = `${'x'.repeat(10_000)}\nInjected: yes`;
    for (const name of ['rollback', 'status'] as const) {
      const error: Error = await w.command(name, { model: hostile }).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).not.toContain('\n');
      expect(error.message).not.toContain('Injected');
      expect(error.message).toMatch(
        /^model "x{40}…" \(10014 characters\) is not in the config; known models: fraud, churn$/,
      );
    }
  });
});

describe('dry-run promote and abort', () => {
  it('says it would promote the ready candidate, and promotes nothing', async () => {
    const w = await world();
    await w.openPr(2, 'v1', 'v2');
    const writes = w.target.writes.length;
    const result = await w.command('promote', { dryRun: true });
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([
      { model: 'fraud', why: 'would promote v2 (replacing v1)', kind: 'dry-run' },
    ]);
    expect(runDecision(result)).toBe('skipped');
    expect(w.report(result)).toContain('- fraud: would promote v2 (replacing v1)');
    expect(w.target.writes).toHaveLength(writes);
    expect((await w.ledger.release('fraud'))?.status).toBe('ready');
    expect(await w.ledger.history('fraud')).toEqual([]);
  });

  it('says it would withdraw the candidate in flight, and withdraws nothing', async () => {
    const w = await world();
    await w.openPr(2, 'v1', 'v2', 'tick');
    const before = structuredClone(w.target.state);
    const result = await w.command('abort', { dryRun: true });
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([
      { model: 'fraud', why: 'would withdraw v2 (aborted by workflow_dispatch)', kind: 'dry-run' },
    ]);
    expect(runDecision(result)).toBe('skipped');
    expect(w.target.state).toEqual(before);
    expect((await w.ledger.release('fraud'))?.status).toBe('analysing');
  });
});

describe('rollback of a release in flight', () => {
  it('reports the candidate it withdrew, with its phases closed, in one target call', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    const { result: opened } = await w.openPr(3, 'v2', 'v4', 'tick');
    expect(opened.releases[0]?.phases.map((p) => p.outcome)).toEqual([undefined]);
    w.clock.advance(30_000);
    const writes = w.target.writes.length;
    const result = await w.command('rollback');
    expect(w.target.writes.slice(writes)).toEqual([{ stable: { version: 'v1' } }]);
    expect(runDecision(result)).toBe('rolled-back');
    // The action's `models` output is made of these.
    expect(result.releases).toMatchObject([{ model: 'fraud', from: 'v2', to: 'v4', status: 'aborted' }]);
    const [withdrawn] = result.releases;
    expect(withdrawn?.phases).toMatchObject([
      { name: 'step 1 of 2', outcome: 'withdrawn', endedAt: w.clock.now() },
    ]);
    expect((await w.ledger.release('fraud'))?.phases[0]?.outcome).toBe('withdrawn');

    const text = w.report(result);
    expect(text).toContain('## model-gate: ↩️ Rolled back by command');
    expect(text).toContain('- fraud v4 was withdrawn: rolled back to v1 by workflow\\_dispatch; v1 serves\n');
    expect(text).toContain('- fraud now serves v1 (was v2): rolled back by workflow\\_dispatch');
    expect(text).toContain('### fraud: v2 → v4 (PR #3) (withdrawn)');
    expect(text).toMatch(/\| step 1 of 2 \| 10% \| [\d: -]+ \| 30s \| withdrawn \|/);
    expect(text).not.toContain('running');
    // A later render (the PR comment, written again) still shows the phase ended.
    w.clock.advance(600_000);
    expect(w.report(result)).toMatch(/\| 30s \| withdrawn \|/);
  });
});

describe('what started a command', () => {
  it('names the event that triggered the rollback in the ledger and the note for the PR', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    const result = await w.command('rollback', { trigger: 'schedule' });
    expect((await w.ledger.history('fraud')).at(-1)?.summary).toBe('rolled back by schedule');
    expect(result.notify).toEqual([{ pr: 2, model: 'fraud', why: 'v2 was rolled back to v1 by schedule' }]);
    expect(w.report(result)).not.toContain('workflow');
  });

  it('claims no event it was not told of', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.command('rollback', { trigger: undefined });
    expect((await w.ledger.history('fraud')).at(-1)?.summary).toBe('rolled back by the rollback command');
  });
});

describe('status', () => {
  it('refuses an unknown model, naming the known ones', async () => {
    const w = await world();
    const status = w.command('status', { model: 'nope' });
    await expect(status).rejects.toThrow(ConfigError);
    await expect(w.command('status', { model: 'nope' })).rejects.toThrow(
      'model "nope" is not in the config; known models: fraud, churn',
    );
  });

  it('says what serves since which promotion or rollback, for the model asked about only', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    w.clock.advance(3_600_000);
    await w.command('rollback');
    const result = await w.command('status');
    expect(runDecision(result)).toBe('skipped');
    const text = w.report(result);
    expect(text.split('\n').slice(0, 4)).toEqual([
      '## model-gate: ℹ️ Status: nothing in flight',
      '',
      '- fraud serves v1 since the rollback v2 → v1 at 2026-01-01 01:00 UTC: rolled back by workflow\\_dispatch',
      '',
    ]);
    expect(text).not.toContain('churn');
    expect(text).not.toContain('no release recorded');

    const all = await w.command('status', { model: undefined });
    expect(renderTerminal(w.config, all, w.clock.now())).toContain(
      '  churn serves v1; the ledger has no promotion or rollback of it',
    );
  });

  it('shows the promotion that made the version serve, and a release in flight', async () => {
    const w = await world();
    await w.promoted(2, 'v1', 'v2');
    await w.openPr(3, 'v2', 'v3', 'tick');
    const result = await w.command('status');
    expect(runDecision(result)).toBe('analysing');
    expect(result.releases).toMatchObject([{ model: 'fraud', to: 'v3', pr: 3, status: 'analysing' }]);
    const text = w.report(result);
    expect(text).toContain('## model-gate: ⏳ Status: analysing');
    expect(text).toMatch(
      /- fraud serves v2 since the promotion v1 → v2 at 2026-01-01 \d\d:\d\d UTC \(PR #2\): passed 2 canary steps on a{7}$/m,
    );
  });
});

describe('schedule tick', () => {
  it('refuses an unknown model, naming the known ones', async () => {
    const w = await world();
    await expect(
      handleSchedule(w.config, w.ports, { mode: 'tick', maxWaitMs: 0, only: 'nope' }),
    ).rejects.toThrow('model "nope" is not in the config; known models: fraud, churn');
  });
});

describe('a merge after promote by workflow_dispatch', () => {
  it('says once, and truly, that the candidate was already promoted', async () => {
    const w = await world();
    const { event } = await w.openPr(2, 'v1', 'v2');
    const promoted = await w.command('promote');
    expect(promoted.releases[0]?.status).toBe('promoted');
    const merged = await w.merge(event);
    expect(runDecision(merged)).toBe('promoted');
    const text = w.report(merged);
    expect(text).not.toContain('not promoted');
    expect(text.match(/was promoted/g)).toHaveLength(1);
    expect(text).toContain(
      '- fraud: v2 was already promoted at 2026-01-01 00:00 UTC (promoted by workflow\\_dispatch); nothing left to do',
    );
    // One promotion on the record, not two.
    expect((await w.ledger.history('fraud')).map((e) => e.kind)).toEqual(['promotion']);
  });
});
