import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { planPullRequest } from '../../src/release/plan.js';
import { plannedSentence } from '../../src/release/plan-text.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { inFlight } from '../../src/release/types.js';
import { cachedReader } from '../../src/version/cached-reader.js';
import { type FileReader, gitFileReader } from '../../src/version/changed-models.js';
import { enginePorts } from '../support/engine-ports.js';
import { GitRepo } from '../support/git-repo.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// On a merge, the plan job decides which models' jobs run and says what each does; each job then
// decides what to do with the PR's candidate analysed on an earlier head. Both ask the same
// question (mergedHeadVerdict): these are the cases where they used to answer differently.
// PR #7 takes fraud from v1 (head b) to v2 and ends ready; the merged head may be b itself,
// e (v3), c (v1 again), d (no version file), 8 (no valid version) or 9 (v2 with a README fix).
const sha = (c: string) => c.repeat(40);
const FILES: Record<string, Record<string, string>> = {
  [sha('a')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
  [sha('c')]: { 'fraud.yaml': 'version: v1\n' },
  [sha('d')]: {},
  [sha('e')]: { 'fraud.yaml': 'version: v3\n' },
  [sha('8')]: { 'fraud.yaml': 'version: "$(id)"\n' },
  [sha('9')]: { 'fraud.yaml': 'version: v2\n', 'README.md': 'fixed a typo\n' },
};
const ANALYSE_FIRST = FRAUD_CANARY_YAML.replace(
  '    source: { file: fraud.yaml, key: version }\n',
  '    source: { file: fraud.yaml, key: version }\n    on-merge: analyze-then-promote\n',
);
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** PR #7's v2 ready on head `opened`; then `ports` and `event` for the merge, the plan and the model's job. */
async function world(opts: { yaml?: string; files?: FileReader; opened?: string; base?: string } = {}) {
  const { config } = parseConfig(opts.yaml ?? FRAUD_CANARY_YAML, {});
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-merged-head-'));
  dirs.push(dir);
  const ledger = fileLedger(join(dir, 'ledger.json'));
  const target = new MemoryTarget({ stable: { version: 'v1' } });
  const ports: Ports = enginePorts({ ledger, files: FILES, clock: new FakeClock(), target });
  if (opts.files) ports.reader = opts.files;
  const event = (action: string, head: string, extra: { merged?: boolean; base?: string } = {}) =>
    ({
      action,
      number: 7,
      baseSha: extra.base ?? opts.base ?? sha('a'),
      headSha: head,
      merged: extra.merged === true,
    }) satisfies PullRequestEvent;
  const job = (e: PullRequestEvent) =>
    handlePullRequest(config, e, ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: false,
      only: 'fraud',
    });
  const plan = (e: PullRequestEvent) => planPullRequest(config, ports, e);
  const opened = await job(event('opened', opts.opened ?? sha('b')));
  expect(opened.releases[0]).toMatchObject({ to: 'v2', status: 'ready' });
  return { ledger, target, ports, event, job, plan };
}

describe('a merge: the plan fans out a job exactly for the candidate its job settles, and says what it does', () => {
  it('the base commit cannot be read (not in the clone): the plan lists the candidate instead of failing, and its job promotes it', async () => {
    const repo = await GitRepo.create();
    dirs.push(repo.dir);
    const base = await repo.commit({ 'fraud.yaml': 'version: v1\n' });
    const head = await repo.commit({ 'fraud.yaml': 'version: v2\n' });
    const { ledger, target, event, job, plan } = await world({
      files: cachedReader(gitFileReader(repo.dir)),
      opened: head,
      base,
    });
    // The base branch moved on to a commit this clone never fetched: only the words need it.
    const merged = event('closed', head, { merged: true, base: 'f'.repeat(40) });
    const p = await plan(merged);
    expect(p.matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect(p.models.map(plannedSentence)).toEqual([
      `fraud: v2 of this PR is still deployed (ready): its job promotes it if it passes on the merged head ${head.slice(0, 7)}, else withdraws it`,
    ]);
    expect((await job(merged)).releases).toMatchObject([{ to: 'v2', status: 'promoted' }]);
    expect(target.state).toEqual({ stable: { version: 'v2' } });
    expect(await ledger.history('fraud')).toMatchObject([{ kind: 'promotion', version: 'v2' }]);
  });

  it('the base commit cannot be read, merged on a later head that declares v3: listed, and its job withdraws v2 unpromoted, both saying v3', async () => {
    const repo = await GitRepo.create();
    dirs.push(repo.dir);
    const base = await repo.commit({ 'fraud.yaml': 'version: v1\n' });
    const analysed = await repo.commit({ 'fraud.yaml': 'version: v2\n' });
    const later = await repo.commit({ 'fraud.yaml': 'version: v3\n' });
    const { target, event, job, plan } = await world({
      files: cachedReader(gitFileReader(repo.dir)),
      opened: analysed,
      base,
    });
    const merged = event('closed', later, { merged: true, base: 'f'.repeat(40) });
    const at = later.slice(0, 7);
    expect((await plan(merged)).models.map(plannedSentence)).toEqual([
      `fraud: v2 of this PR is still deployed (ready) but the merged head ${at} declares v3: its job withdraws it unpromoted (on-merge: require-pass) and frees the canary slot`,
    ]);
    expect((await job(merged)).releases).toMatchObject([
      {
        to: 'v2',
        status: 'aborted',
        reason: expect.stringContaining(`not on the merged head ${at}, which declares v3;`),
      },
    ]);
    expect(target.state).toEqual({ stable: { version: 'v1' } });
  });

  it('analyze-then-promote, a merged head declaring v3 that the PR’s list of files leaves out: its job analyses v3, as the plan says, not leaving v2 in the slot', async () => {
    const { ledger, target, ports, event, job, plan } = await world({ yaml: ANALYSE_FIRST });
    // The PR's list of files, older than the head, does not name fraud.yaml.
    ports.touchedFiles = async () => new Set(['README.md']);
    const merged = event('closed', sha('e'), { merged: true });
    expect((await plan(merged)).models.map(plannedSentence)).toEqual([
      'fraud: v2 of this PR is still deployed (ready) but the merged head eeeeeee declares v3: its job withdraws it and analyses v3 on it (on-merge: analyze-then-promote)',
    ]);
    expect((await job(merged)).releases).toMatchObject([{ to: 'v3', status: 'promoted', headSha: sha('e') }]);
    expect(target.state).toEqual({ stable: { version: 'v3' } });
    expect(await ledger.history('fraud')).toMatchObject([
      { kind: 'promotion', version: 'v3', previous: 'v1' },
    ]);
    expect(await ledger.canaryHolder('fraud')).toBeUndefined();
  });

  it('require-pass, a merged head that changes the version to v3: the plan says its job withdraws v2 unpromoted, not that v3 runs its phases', async () => {
    const { target, event, job, plan } = await world();
    const merged = event('closed', sha('e'), { merged: true });
    const p = await plan(merged);
    expect(p.matrix).toEqual({ include: [{ model: 'fraud' }] });
    expect(p.models).toMatchObject([{ model: 'fraud', live: { version: 'v2', status: 'ready' } }]);
    expect(p.models[0]?.to).toBeUndefined();
    expect(p.models.map(plannedSentence)).toEqual([
      'fraud: v2 of this PR is still deployed (ready) but the merged head eeeeeee declares v3: its job withdraws it unpromoted (on-merge: require-pass) and frees the canary slot',
    ]);
    const writes = target.writes.length;
    expect((await job(merged)).releases).toMatchObject([{ to: 'v2', status: 'aborted' }]);
    // One write, the withdrawal: no phase of v3.
    expect(target.writes.slice(writes)).toEqual([{ stable: { version: 'v1' } }]);
  });

  // Every merged head, both on-merge modes: the plan lists the model, and its job leaves v2 no
  // longer in flight (promoted, withdrawn, or superseded by the merged head's analysed version).
  const heads = ['b', '9', 'e', 'c', 'd', '8'];
  for (const [mode, yaml] of [
    ['require-pass', FRAUD_CANARY_YAML],
    ['analyze-then-promote', ANALYSE_FIRST],
  ] as const) {
    for (const touched of [undefined, ['README.md']]) {
      it(`${mode}${touched ? ', a list of files that leaves the version file out' : ''}: every merged head gets a job, and it settles v2`, async () => {
        for (const head of heads) {
          const { ledger, ports, event, job, plan } = await world({ yaml });
          if (touched) ports.touchedFiles = async () => new Set(touched);
          const merged = event('closed', sha(head), { merged: true });
          expect((await plan(merged)).matrix, `head ${head}`).toEqual({ include: [{ model: 'fraud' }] });
          await job(merged);
          const after = await ledger.release('fraud');
          expect(after && !(after.to === 'v2' && inFlight(after)), `head ${head}: ${after?.status}`).toBe(
            true,
          );
        }
      });
    }
  }
});
