import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERTEX_RESOURCE, VERTEX_TARGET, vertexFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { HOUR, retireBlueWorld } from './retire-blue-world.js';

// Blue-green on Vertex AI: the tick after the rollback-window undeploys blue (v1), and the undeploy
// operation ends in an error (DEADLINE_EXCEEDED) although the deployed model was removed. The tick
// used to report "retiring blue v1 failed: ...; the next schedule tick tries again", and every tick
// after it found v1 gone and said nothing: no report ever said blue was retired.
const DEADLINE =
  'ERROR: (gcloud.ai.endpoints.undeploy-model) DEADLINE_EXCEEDED: The operation exceeded its deadline.';

const standins = useStandins('gcloud', vertexFraudEndpoint);

// gcloud as the stand-in answers it, except that undeploy-model, once the stand-in has undeployed
// the model, fails as gcloud does when the operation it waits for ends in an error.
let wrapperDir: string;
let savedPath: string | undefined;
beforeAll(async () => {
  savedPath = process.env.PATH;
  const served = (savedPath ?? '').split(delimiter).find((dir) => existsSync(join(dir, 'gcloud')));
  if (!served) throw new Error('the gcloud stand-in is not on PATH');
  wrapperDir = await mkdtemp(join(tmpdir(), 'model-gate-gcloud-deadline-'));
  await writeFile(
    join(wrapperDir, 'gcloud'),
    `#!/bin/bash
if [ "$3" = undeploy-model ]; then
  "${join(served, 'gcloud')}" "$@" >/dev/null 2>&1 || exit $?
  echo '${DEADLINE}' >&2
  exit 1
fi
exec "${join(served, 'gcloud')}" "$@"
`,
  );
  await chmod(join(wrapperDir, 'gcloud'), 0o755);
  process.env.PATH = `${wrapperDir}${delimiter}${savedPath ?? ''}`;
});
afterAll(async () => {
  process.env.PATH = savedPath;
  await rm(wrapperDir, { recursive: true, force: true });
});

const models = async () =>
  (await standins.state()).vertex[VERTEX_RESOURCE].deployedModels.map(
    (m: { displayName: string }) => m.displayName,
  );

describe('an undeploy of blue reported failed that went through', () => {
  it('is reported as blue retired, once', async () => {
    const w = await retireBlueWorld(VERTEX_TARGET);
    expect(await w.promote(2, 'v1', 'v2')).toEqual(['ready', 'promoted']);

    w.clock.advance(2 * HOUR);
    w.lines.length = 0;
    await w.tick();
    expect(await models()).toEqual(['fraud-v2']);
    const retired =
      'blue v1 retired (rollback-window 1h over): the deployed model fraud-v1 with ID 1111 is removed from Vertex AI endpoint 4321 (us-central1), v2 alone is deployed; a rollback to v1 needs it deployed there again first; the removal was reported failed, but v1 is gone all the same: `gcloud ai endpoints undeploy-model 4321 --region=us-central1 --project=ml-prod --format=json --quiet --deployed-model-id=1111` failed (exit 1) on Vertex AI endpoint 4321 (us-central1): ' +
      DEADLINE;
    // In the log and in the tick's summary.
    expect(w.lines).toEqual([`fraud: ${retired}`, retired]);
    expect((await standins.calls('gcloud')).filter((c) => c.argv[2] === 'undeploy-model')).toHaveLength(1);

    w.lines.length = 0;
    w.clock.advance(HOUR);
    await w.tick();
    expect(w.lines).toEqual([]);
  });
});
