import { describe, expect, it } from 'vitest';
import type { KServeTargetConfig } from '../../src/config/types.js';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { TargetStateError } from '../../src/targets/errors.js';
import { kserveTarget } from '../../src/targets/kserve-target.js';
import { useStandins } from '../support/standin-server.js';
import { garbleAnswers } from './garbled-answers.js';
import { ISVC, servingV1 } from './kserve-cluster.js';
import type { ReadBackPlatform } from './read-back-world.js';
import { rollBackWhileSettling } from './reads-fail-while-settling.js';

// A rollback the API server took (`kubectl patch`: canaryTrafficPercent 0) whose `kubectl get`, while
// the target waited for KServe to route all traffic to v1, printed once and with exit 0 what is not
// JSON (its answer cut off, a proxy's HTML 502 page) was reported as failed at once ("did not print
// JSON"), the withdrawal pending with no fix named. A get that exits 1 is read again until the
// settle-timeout; so is this one now, and one that never reads ends unconfirmed, saying to check what
// sits between the runner and the API server. JSON of another shape is still KServe's answer: it
// fails at once. kubectl is the stand-in (KServe acting a read after a change), behind a program
// that garbles its answers; time runs on a FakeClock.

const standins = useStandins('kubectl', () => servingV1({}, 1));
const garbled = garbleAnswers('kubectl', `get ${ISVC}`);

const kserve: ReadBackPlatform = {
  standins,
  cli: 'kubectl',
  target:
    '{ type: kserve, namespace: ml, storage-uri: "gs://models/{{model}}/{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => kserveTarget(model.target as KServeTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[0] === 'get',
};
const isPatch = (argv: string[]) => argv[0] === 'patch';
const rollBackWhileGetsPrint = (text: string, times = 1) =>
  rollBackWhileSettling(kserve, isPatch, () => garbled.arm(text, { times }));

const CUT_OFF =
  '{\n    "apiVersion": "serving.kserve.io/v1beta1",\n    "kind": "InferenceService",\n    "metadata": {';
const PROXY_PAGE = '<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>\n';

describe('a rollback the API server took, a get printing what is not JSON while the target waits for KServe', () => {
  it.each([
    ['cut off', CUT_OFF],
    ["a proxy's error page", PROXY_PAGE],
  ])('once (%s): reads again, and the rollback is confirmed', async (_, text) => {
    const { err, happened } = await rollBackWhileGetsPrint(text);
    expect(happened).toBe(true);
    expect(err).toBeUndefined();
    const isvc = (await standins.state()).k8s[ISVC]['ml/fraud'];
    expect(isvc.spec.predictor.canaryTrafficPercent).toBe(0);
  });

  it('every time: unconfirmed at its settle-timeout, saying to check what sits between the runner and the API', async () => {
    const { err, tookMs, happened } = await rollBackWhileGetsPrint(PROXY_PAGE, -1);
    expect(happened).toBe(true);
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain(
      `the last read failed with: \`kubectl get ${ISVC}\` did not print JSON (got "<html><head><title>502 Bad Gateway</title>`,
    );
    expect((err as Error).message).toContain(
      "check what sits between the runner and the platform's API (a proxy or gateway)",
    );
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('valid JSON of another shape: fails at once, as KServe answer', async () => {
    const { err, tookMs, happened } = await rollBackWhileGetsPrint('{"kind": "Status"}', -1);
    expect(happened).toBe(true);
    expect(err).toBeInstanceOf(TargetStateError);
    expect((err as Error).message).toContain('printed JSON of an unexpected shape: metadata');
    expect(tookMs).toBeLessThan(60_000);
  });
});
