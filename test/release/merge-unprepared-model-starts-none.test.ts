import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { NotStartedError } from '../../src/release/unprepared-models.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { FILES, STEP_1, twoModelsWorld } from './two-models-world.js';

// PR #9 moved fraud and churn to v2, analysed on its head; then a last push declared v3 of both
// and the PR merged with no run of that head (on-merge: analyze-then-promote). The merge job starts
// the merged head's v3 of each, as a new push would. churn's platform cannot look up v3: the job
// used to record fraud's v3 before it stopped on churn, and the next schedule tick deployed it,
// though the merge job had failed. Now, as a PR run does, it starts neither.

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

it("starts no model's merged-head release when another model's cannot be prepared", async () => {
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

  const merge = handlePullRequest(CONFIG, MERGE, w.ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
  const error = await merge.then(
    () => undefined,
    (e: unknown) => e,
  );

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
