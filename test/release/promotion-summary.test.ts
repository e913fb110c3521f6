import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { PhaseRecord } from '../../src/release/types.js';
import { enginePorts } from '../support/engine-ports.js';
import { MemoryTarget } from '../support/memory-target.js';

// The promotion's summary (the Deployment's description, `command: status`) counts the phases the
// release passed, in the words of what ran. A release advanced under one config and merged under
// another (a tick reads the default branch's config): a phase a config change withdrew is not
// counted, and a canary merged under a blue-green config did not pass "blue-green phases".
const sha = (c: string) => c.repeat(40);
const timing = 'step-duration: 1m, min-requests: 100, interval: 10s';
const yaml = (strategy: string) => `version: 1
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    target: { type: sandbox, url: "http://127.0.0.1:1" }
    metrics: { type: sandbox, url: "http://127.0.0.1:1" }
    strategy: ${strategy}
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;
const TWO_STEPS = `{ type: canary, steps: [10, 50], ${timing} }`;
const THREE_STEPS = `{ type: canary, steps: [10, 25, 50], ${timing} }`;
const BLUE_GREEN = `{ type: blue-green, bake-duration: 2m, ${timing} }`;

/**
 * PR #3 analysed under `ran` to ready on head b, its phase records then `edit`ed (as a config
 * change mid-run leaves them), and merged under `merged` on `mergedHead`: the promotion's summary.
 */
async function summary(ran: string, merged: string, edit = (p: PhaseRecord[]) => p, mergedHead = sha('b')) {
  const ledger = fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-summary-')), 'ledger.json'));
  const ports = enginePorts({
    ledger,
    files: {
      [sha('a')]: { 'fraud.yaml': 'version: v1\n' },
      [sha('b')]: { 'fraud.yaml': 'version: v2\n' },
      // A later push that left the version alone (a README fix).
      [sha('c')]: { 'fraud.yaml': 'version: v2\n' },
    },
    clock: new FakeClock(),
    target: new MemoryTarget({ stable: { version: 'v1' } }),
  });
  const pr = { number: 3, baseSha: sha('a'), headSha: sha('b') };
  const opts = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
  const config = (strategy: string) => parseConfig(yaml(strategy), {}).config;
  const analysed = await handlePullRequest(
    config(ran),
    { ...pr, action: 'opened', merged: false },
    ports,
    opts,
  );
  const ready = analysed.releases[0];
  expect(ready?.status).toBe('ready');
  if (ready) await ledger.saveRelease({ ...ready, phases: edit(ready.phases) });
  const done = await handlePullRequest(
    config(merged),
    { ...pr, headSha: mergedHead, action: 'closed', merged: true },
    ports,
    opts,
  );
  expect(done.releases[0]?.status).toBe('promoted');
  return (await ledger.history('fraud'))[0]?.summary;
}

describe('the summary of a promotion after a config change', () => {
  it('a step a config change withdrew is not counted', async () => {
    // Started under [10, 25, 50]; at step 2 the config became [10, 50]: step 2 of 3 was withdrawn,
    // and the release went on from the 10% step.
    const withdrawn = (phases: PhaseRecord[]): PhaseRecord[] => {
      const [first] = phases;
      if (!first) throw new Error('no phase recorded');
      return [
        { ...first, name: 'step 1 of 3', outcome: 'passed' },
        { ...first, name: 'step 2 of 3', weight: 25, outcome: 'withdrawn' },
        ...phases,
      ];
    };
    expect(await summary(TWO_STEPS, TWO_STEPS, withdrawn)).toBe('passed 3 canary steps on bbbbbbb');
  });

  it('a canary merged under a blue-green config: phases, not blue-green phases', async () => {
    expect(await summary(THREE_STEPS, BLUE_GREEN)).toBe('passed 3 phases on bbbbbbb');
  });

  it('a canary merged under a canary config of another step count: still canary steps', async () => {
    expect(await summary(TWO_STEPS, THREE_STEPS)).toBe('passed 2 canary steps on bbbbbbb');
  });

  it('names the head that passed, not a later one the merge has that left the version alone', async () => {
    expect(await summary(TWO_STEPS, TWO_STEPS, undefined, sha('c'))).toBe('passed 2 canary steps on bbbbbbb');
  });

  it('a blue-green merged under a canary config: phases', async () => {
    expect(await summary(BLUE_GREEN, TWO_STEPS)).toBe('passed 1 phase on bbbbbbb');
  });
});
