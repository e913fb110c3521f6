import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest, type PullRequestEvent } from '../../src/release/pull-request.js';
import { NotStartedError } from '../../src/release/unprepared-models.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { FILES, STEP_1, twoModelsWorld } from './two-models-world.js';

// PR #9 moved fraud and churn to v2, analysed on its head; then a last push declared v3 of both
// and the PR merged with no run of that head (on-merge: analyze-then-promote). The merge job starts
// the merged head's v3 of each, as a new push would. churn's platform cannot look up v3: the job
// used to record fraud's v3 before it stopped on churn, and the next schedule tick deployed it,
// though the merge job had failed. Now, as a PR run does, it starts neither; and once churn's
// platform is fixed, a re-run of the job starts both, as its error says.

const CONFIG = parseConfig(
  `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [10, 50], step-duration: 1m, min-requests: 100, interval: 10s }
  on-merge: analyze-then-promote
models:
  fraud:
    source: { file: fraud.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
  churn:
    source: { file: churn.yaml, key: version }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`,
  {},
).config;

/** The merged head: v3 of both models, never analysed by a run of the PR. */
const MERGED = sha(19);
const MERGE = { action: 'closed', number: 9, baseSha: sha(1), headSha: MERGED, merged: true };
const ONCE = { mode: 'tick', maxWaitMs: 0, dryRun: false } as const;

/** The last push's run of PR #9, which declares v3 of both: none of it analysed before the merge. */
const LAST_PUSH = { ...MERGE, action: 'synchronize', merged: false };

/**
 * PR #9's v2 of both analysed, then a run of the merged head (`event`: its merge job by default),
 * which churn's platform fails (it knows no v3 yet).
 */
async function failingOnChurn(event: PullRequestEvent = MERGE) {
  const w = await twoModelsWorld();
  w.ports.reader = memoryFileReader({
    ...FILES,
    [MERGED]: { 'fraud.yaml': 'version: v3\n', 'churn.yaml': 'version: v3\n' },
  });
  await w.prJob(CONFIG, 9);
  expect([w.platforms.fraud.state, w.platforms.churn.state]).toEqual([STEP_1, STEP_1]);
  const churn = w.platforms.churn;
  const read = churn.read.bind(churn);
  churn.read = async (known?: { others?: string[] }): Promise<TrafficState> => {
    if (known?.others?.includes('v3')) throw new TargetError('churn platform: unknown version "v3"');
    return read();
  };
  const error = await handlePullRequest(CONFIG, event, w.ports, ONCE).then(
    () => undefined,
    (e: unknown) => e,
  );
  /** churn's platform fixed: it knows v3 now. */
  const fixChurn = () => {
    churn.read = read;
  };
  return { w, error, fixChurn };
}

it("starts no model's merged-head release when another model's cannot be prepared", async () => {
  const { w, error } = await failingOnChurn();

  // Nothing of v3 recorded for a later run to deploy: the next schedule tick deploys none.
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'superseded' });
  w.clock.advance(20_000);
  await w.tick(CONFIG);
  expect(w.platforms.fraud.writes.flatMap((s) => [s.stable.version, s.canary?.version])).not.toContain('v3');
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  // The job fails naming churn, and says fraud's v3 was not started either.
  expect(error).toBeInstanceOf(NotStartedError);
  expect((error as Error).message).toContain(
    'churn: v3 not started: churn platform: unknown version "v3"\nfraud v3 not started either',
  );
});

it('starts both merged-head releases when the job is run again once churn is fixed, and promotes them as they pass', async () => {
  const { w, error, fixChurn } = await failingOnChurn();
  expect((error as Error).message).toContain('fix churn and run again');
  fixChurn();

  // The re-run starts what the failed job did not: v3 of each, on the merged head, the merge on record.
  const rerun = await handlePullRequest(CONFIG, MERGE, w.ports, ONCE);
  const started = { stable: { version: 'v1' }, canary: { version: 'v3', weight: 10 } };
  expect([w.platforms.fraud.state, w.platforms.churn.state]).toEqual([started, started]);
  for (const model of ['fraud', 'churn']) {
    expect(await w.file.release(model)).toMatchObject({
      to: 'v3',
      from: 'v1',
      pr: 9,
      headSha: MERGED,
      status: 'analysing',
      mergedAt: expect.any(Number),
    });
  }
  expect(rerun.releases.map((r) => [r.model, r.to, r.status])).toEqual([
    ['fraud', 'v3', 'analysing'],
    ['churn', 'v3', 'analysing'],
  ]);
  expect(rerun.skipped.map((s) => s.why).join('\n')).not.toContain('already withdrawn');

  // Schedule ticks finish the analysis; the merge being on record, each passed v3 is promoted.
  for (let i = 0; i < 20; i++) {
    w.clock.advance(20_000);
    await w.tick(CONFIG);
  }
  expect([w.platforms.fraud.state, w.platforms.churn.state]).toEqual([
    { stable: { version: 'v3' } },
    { stable: { version: 'v3' } },
  ]);
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v3', status: 'promoted' });
  expect(await w.file.release('churn')).toMatchObject({ to: 'v3', status: 'promoted' });
});

it("starts on merge what a PR run that failed on churn left unstarted, once churn's platform is fixed", async () => {
  // The PR's run withdrew v2 of both, as a new head's does, and started no v3; it was merged as it was.
  const { w, error, fixChurn } = await failingOnChurn(LAST_PUSH);
  expect((error as Error).message).toContain('fix churn and run again');
  fixChurn();

  const merged = await handlePullRequest(CONFIG, MERGE, w.ports, ONCE);
  expect(merged.releases.map((r) => [r.model, r.to, r.status])).toEqual([
    ['fraud', 'v3', 'analysing'],
    ['churn', 'v3', 'analysing'],
  ]);
});
