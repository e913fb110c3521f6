import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { reportTitle } from '../../src/report/decision.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { enginePorts } from '../support/engine-ports.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// SPEC §1: a new push supersedes the PR's candidate, and the merge promotes only the candidate
// that passed on the merged head. PR #7 takes fraud from v1 (sha 1) to v2 (sha 2) and ends
// ready; later heads put the version back, delete the file or move on without being analysed.
// Heads: a (base, v1), b (v2), c (v1 again), d (no version file), e (v3), f (an older base, v0),
// g (v2 again, with a README fix), 8 (a version file that declares no valid version), 9 (v3 again, with a README fix).
const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
const sha = (c: string) => c.repeat(40);
const V1 = { 'fraud.yaml': 'version: v1\n' };

async function world(yaml = FRAUD_CANARY_YAML) {
  const { config } = parseConfig(yaml, {});
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-dropped-')), 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const files: Record<string, Record<string, string>> = {
    [sha('a')]: V1,
    [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
    [sha('c')]: V1,
    [sha('d')]: {},
    [sha('e')]: { 'fraud.yaml': 'version: v3\n' },
    [sha('f')]: { 'fraud.yaml': 'version: v0\n' },
    [sha('g')]: { 'fraud.yaml': 'version: v2\n', 'README.md': 'fixed a typo\n' },
    [sha('8')]: { 'fraud.yaml': 'version: "$(id)"\n' },
    [sha('9')]: { 'fraud.yaml': 'version: v3\n', 'README.md': 'fixed a typo\n' },
  };
  const logged: string[] = [];
  const ports = enginePorts({ ledger, files, clock: new FakeClock(), target });
  ports.log = { info: (m) => logged.push(m), warn: (m) => logged.push(`warning: ${m}`) };
  type Opts = { merged?: boolean; number?: number; dryRun?: boolean; base?: string };
  const pr = (action: string, head: string, opts: Opts = {}) =>
    handlePullRequest(
      config,
      {
        action,
        number: opts.number ?? 7,
        baseSha: sha(opts.base ?? 'a'),
        headSha: sha(head),
        merged: opts.merged === true,
      },
      ports,
      { ...watch, dryRun: opts.dryRun === true },
    );
  expect((await pr('opened', 'b')).releases[0]?.status).toBe('ready');
  expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
  return { config, ledger, target, pr, logged };
}

describe('a PR that drops its version change', () => {
  it('put back to the base version: the candidate is withdrawn, the slot freed, and the merge promotes nothing', async () => {
    const { config, ledger, target, pr, logged } = await world();
    const pushed = await pr('synchronize', 'c');
    const why =
      "the PR no longer changes fraud's version: head ccccccc declares v1, as the base does; v2 withdrawn";
    expect(pushed.releases).toMatchObject([{ model: 'fraud', to: 'v2', status: 'superseded', reason: why }]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(logged).toContain(`fraud: ${why}`);
    expect(reportTitle(pushed)).toBe('⏹️ Withdrawn');
    // Said once, then what serves: not "…as the base does; v2 withdrawn" after "v2 was withdrawn".
    expect(renderTerminal(config, pushed, 0)).toContain(
      "fraud v2 was withdrawn: the PR no longer changes fraud's version: head ccccccc declares v1, as the base does; v1 serves\n",
    );

    // The slot is free: another PR's candidate starts at once instead of queuing behind #7.
    const other = await pr('opened', 'e', { number: 8 });
    expect(other.skipped).toEqual([]);
    expect(other.releases[0]).toMatchObject({ pr: 8, to: 'v3', status: 'ready' });

    const merged = await pr('closed', 'c', { merged: true });
    expect(merged.releases).toEqual([]);
    expect(await ledger.history('fraud')).toEqual([]);
    expect(target.state.stable.version).toBe('v1');
  });

  it('version file deleted: withdrawn, saying the head declares no version', async () => {
    const { ledger, target, pr } = await world();
    const pushed = await pr('synchronize', 'd');
    expect(pushed.releases).toMatchObject([
      {
        status: 'superseded',
        reason: "the PR no longer declares fraud's version: head ddddddd has no fraud.yaml; v2 withdrawn",
      },
    ]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
    const merged = await pr('closed', 'd', { merged: true });
    expect(merged.skipped).toEqual([
      {
        model: 'fraud',
        why: "v2 was already withdrawn: the PR no longer declares fraud's version: head ddddddd has no fraud.yaml; v2 withdrawn",
        kind: 'note',
      },
    ]);
    expect(await ledger.history('fraud')).toEqual([]);
  });

  it('a dry run says it would withdraw the candidate, and withdraws nothing', async () => {
    const { target, pr } = await world();
    const dry = await pr('synchronize', 'c', { dryRun: true });
    expect(dry.skipped).toEqual([
      {
        model: 'fraud',
        why: "would withdraw v2: the PR no longer changes fraud's version: head ccccccc declares v1, as the base does",
        kind: 'dry-run',
      },
    ]);
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 0 } });
  });
});

describe('a merge whose head was never analysed', () => {
  it('on-merge: require-pass: the candidate of the earlier head is withdrawn, not promoted, saying why', async () => {
    const { ledger, target, pr } = await world();
    const merged = await pr('closed', 'c', { merged: true });
    expect(merged.releases).toMatchObject([
      {
        status: 'aborted',
        reason:
          'v2 passed on bbbbbbb, not on the merged head ccccccc, which changes no version of it; v2 was not promoted (on-merge: require-pass)',
      },
    ]);
    expect(reportTitle(merged)).toBe('⏹️ Withdrawn');
    expect(await ledger.history('fraud')).toEqual([]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('on-merge: require-pass, dry run: says it would withdraw it unpromoted', async () => {
    const { target, pr } = await world();
    const dry = await pr('closed', 'c', { merged: true, dryRun: true });
    expect(dry.releases).toEqual([]);
    expect(dry.skipped).toEqual([
      {
        model: 'fraud',
        why: 'would withdraw v2 unpromoted: v2 passed on bbbbbbb, not on the merged head ccccccc, which changes no version of it (on-merge: require-pass)',
        kind: 'dry-run',
      },
    ]);
    expect(target.state.canary?.version).toBe('v2');
  });

  it('a later head that declares the same version (a README fix no run saw): the candidate that passed is promoted', async () => {
    const { ledger, target, pr } = await world();
    // Head g: still v2, plus a README change outside the workflow's paths filter.
    const merged = await pr('closed', 'g', { merged: true });
    expect(merged.releases).toMatchObject([{ to: 'v2', status: 'promoted' }]);
    expect(await ledger.history('fraud')).toMatchObject([
      { kind: 'promotion', version: 'v2', previous: 'v1' },
    ]);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
  });

  it('require-pass, a merged head that declares another version: withdrawn, saying which', async () => {
    const { target, pr } = await world();
    const merged = await pr('closed', 'e', { merged: true });
    expect(merged.releases).toMatchObject([
      {
        status: 'aborted',
        reason:
          'v2 passed on bbbbbbb, not on the merged head eeeeeee, which declares v3; v2 was not promoted (on-merge: require-pass); the base branch now declares v3 while v1 serves: to release v3, merge a PR that sets fraud.yaml back to v1, then open one that declares v3 again',
      },
    ]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });

    // The next step as the reason says it, the base branch now at e (v3). A PR that declares v3
    // again changes nothing; one that sets v1 back deploys nothing (v1 serves); then v3 releases.
    expect((await pr('opened', '9', { number: 8, base: 'e' })).releases).toEqual([]);
    const back = await pr('opened', 'c', { number: 9, base: 'e' });
    expect(back.skipped).toEqual([{ model: 'fraud', why: 'v1 is already the stable version', kind: 'note' }]);
    await pr('closed', 'c', { number: 9, base: 'e', merged: true });
    expect((await pr('opened', 'e', { number: 10, base: 'c' })).releases[0]).toMatchObject({
      to: 'v3',
      status: 'ready',
    });
    expect((await pr('closed', 'e', { number: 10, base: 'c', merged: true })).releases[0]?.status).toBe(
      'promoted',
    );
    expect(target.state).toEqual({ stable: { version: 'v3' } });
  });

  const invalid =
    'whose fraud.yaml declares no valid version, so there is nothing to promote or analyse: fraud.yaml: key "version": "$(id)" is not a valid version (letters, digits, . _ + - only, at most 128 characters)';

  it('require-pass, a merged head whose version file is invalid: withdrawn unpromoted, quoting the error, and the slot freed', async () => {
    const { ledger, target, pr, logged } = await world();
    const dry = await pr('closed', '8', { merged: true, dryRun: true });
    expect(dry.skipped).toEqual([
      {
        model: 'fraud',
        why: `would withdraw v2 unpromoted: v2 passed on bbbbbbb, not on the merged head 8888888, ${invalid} (on-merge: require-pass)`,
        kind: 'dry-run',
      },
    ]);
    const merged = await pr('closed', '8', { merged: true });
    const why = `v2 passed on bbbbbbb, not on the merged head 8888888, ${invalid}; v2 was not promoted (on-merge: require-pass); a PR that fixes fraud.yaml releases the version it declares`;
    expect(merged.releases).toMatchObject([{ status: 'aborted', reason: why }]);
    expect(logged).toContain(`fraud: ${why}`);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.history('fraud')).toEqual([]);
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
    // The next PR starts at once instead of queuing behind #7 for good.
    const next = await pr('opened', 'e', { number: 8, base: '8' });
    expect(next.skipped).toEqual([]);
    expect(next.releases[0]).toMatchObject({ pr: 8, to: 'v3', status: 'ready' });
  });

  it('a base that already declares the version (the event does not refresh it): the candidate that passed is still promoted', async () => {
    const { ledger, target, pr } = await world();
    // Base b: another PR that declared v2 was merged first (queued behind #7, so nothing released it).
    const merged = await pr('closed', 'g', { merged: true, base: 'b' });
    expect(merged.releases).toMatchObject([{ to: 'v2', status: 'promoted' }]);
    expect(await ledger.history('fraud')).toMatchObject([
      { kind: 'promotion', version: 'v2', previous: 'v1' },
    ]);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
  });

  const analyseFirst = FRAUD_CANARY_YAML.replace(
    '    source: { file: fraud.yaml, key: version }\n',
    '    source: { file: fraud.yaml, key: version }\n    on-merge: analyze-then-promote\n',
  );

  it('on-merge: analyze-then-promote: the merged head is analysed, and its version promoted once it passes', async () => {
    const { ledger, target, pr } = await world(analyseFirst);
    const before = target.writes.length;
    const merged = await pr('closed', 'e', { merged: true });
    expect(merged.releases).toMatchObject([{ to: 'v3', status: 'promoted', headSha: sha('e') }]);
    expect(await ledger.history('fraud')).toMatchObject([
      { kind: 'promotion', version: 'v3', previous: 'v1', summary: 'passed 2 canary steps on eeeeeee' },
    ]);
    // v2 withdrawn, then v3 deployed step by step and promoted: v2 never served as stable.
    expect(target.writes.slice(before)).toEqual([
      { stable: { version: 'v1' } },
      { stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } },
      { stable: { version: 'v1' }, canary: { version: 'v3', weight: 50 } },
      { stable: { version: 'v3' } },
    ]);
  });

  it('on-merge: analyze-then-promote, a merged head whose version file is invalid: withdrawn, nothing to analyse', async () => {
    const { ledger, target, pr } = await world(analyseFirst);
    const merged = await pr('closed', '8', { merged: true });
    expect(merged.releases).toMatchObject([
      {
        to: 'v2',
        status: 'aborted',
        reason: `v2 passed on bbbbbbb, not on the merged head 8888888, ${invalid}; v2 was not promoted (on-merge: analyze-then-promote); a PR that fixes fraud.yaml releases the version it declares`,
      },
    ]);
    expect(await ledger.history('fraud')).toEqual([]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('on-merge: analyze-then-promote, merged head declares the base version: nothing is promoted', async () => {
    const { ledger, target, pr } = await world(analyseFirst);
    const merged = await pr('closed', 'c', { merged: true });
    expect(merged.releases).toMatchObject([{ to: 'v2', status: 'superseded' }]);
    expect(await ledger.history('fraud')).toEqual([]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });
});

describe('a PR whose version is already the stable one, while another PR holds the slot', () => {
  it('says the version is already stable instead of queuing; a new version still queues', async () => {
    const { pr } = await world();
    // PR #8 declares v1, the stable version, over a base that still says v0.
    const stable = await pr('opened', 'c', { number: 8, base: 'f' });
    expect(stable.releases).toEqual([]);
    expect(stable.skipped).toEqual([
      { model: 'fraud', why: 'v1 is already the stable version', kind: 'note' },
    ]);
    const next = await pr('opened', 'e', { number: 9 });
    expect(next.skipped).toEqual([
      {
        model: 'fraud',
        why: 'queued: PR #7 holds the canary slot of fraud (v2); re-run this job once it is merged or closed',
        kind: 'queued',
        holder: 7,
      },
    ]);
  });
});
