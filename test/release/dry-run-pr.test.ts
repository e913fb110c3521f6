import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { runDecision } from '../../src/report/decision.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { fraudPr } from '../support/fraud-pr.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// `dry-run: true` on pull_request events: the report says what the run would do, and nothing is
// deployed, promoted, withdrawn or recorded.

async function world(opts: Parameters<typeof fraudPr>[0] = {}) {
  const { config, ledgerPath, target, ports, event } = await fraudPr(opts);
  const ledgerText = () => readFile(ledgerPath, 'utf8').catch(() => 'no ledger file');
  const dry = async (action: string, merged = false, pr = 7) => {
    const writes = target.writes.length;
    const before = await ledgerText();
    const result = await handlePullRequest(config, { ...event(action, merged), number: pr }, ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: true,
    });
    expect(target.writes).toHaveLength(writes);
    expect(await ledgerText()).toBe(before);
    return result;
  };
  const real = (action: string, mode: 'watch' | 'tick') =>
    handlePullRequest(config, event(action), ports, { mode, maxWaitMs: 3_600_000, dryRun: false });
  return { config, dry, real };
}

describe('a dry run on a pull request', () => {
  it('opened: says it would deploy the candidate and run its steps, and reports no release as analysing', async () => {
    const { config, dry } = await world();
    const result = await dry('opened');
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([
      { model: 'fraud', why: 'would deploy v2 (replacing v1) and run its 2 canary steps', kind: 'dry-run' },
    ]);
    expect(renderTerminal(config, result, 0)).not.toContain('deploying the candidate');
  });

  it('closed: says it would withdraw the candidate being analysed', async () => {
    const { dry, real } = await world();
    await real('opened', 'tick');
    expect((await real('opened', 'tick')).releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
    expect((await dry('closed')).skipped).toEqual([
      { model: 'fraud', why: 'would withdraw v2 (the PR was closed without merging)', kind: 'dry-run' },
    ]);
    expect((await dry('closed', true)).skipped).toEqual([
      {
        model: 'fraud',
        why: 'would withdraw v2 unpromoted: its analysis has not passed (on-merge: require-pass)',
        kind: 'dry-run',
      },
    ]);
  });

  it('merged: says it would promote a candidate that passed, and promotes nothing', async () => {
    const { dry, real } = await world();
    expect((await real('opened', 'watch')).releases[0]?.status).toBe('ready');
    const result = await dry('closed', true);
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([
      { model: 'fraud', why: 'would promote v2 (replacing v1)', kind: 'dry-run' },
    ]);
  });

  it('opened: a pre-deploy gate that fails still fails the run, as it would without dry run', async () => {
    const yaml = FRAUD_CANARY_YAML.replace(
      '    gates:\n',
      '    gates:\n      - { name: auc, kind: offline, file: eval.json, key: auc, min: 0.9 }\n',
    );
    const { dry } = await world({ yaml, headFiles: { 'eval.json': '{"auc": 0.5}' } });
    const result = await dry('opened');
    expect(result.releases).toMatchObject([
      { status: 'failed', reason: expect.stringMatching(/^not deployed: auc/) },
    ]);
    expect(runDecision(result)).toBe('failed');
  });

  it('opened by another PR while one holds the slot: says it is queued, and joins no queue', async () => {
    const { dry, real } = await world();
    await real('opened', 'tick');
    expect((await dry('opened', false, 8)).skipped).toEqual([
      {
        model: 'fraud',
        why: 'queued: PR #7 holds the canary slot of fraud (v2); a run would join the queue for it',
        kind: 'dry-run',
      },
    ]);
  });
});
