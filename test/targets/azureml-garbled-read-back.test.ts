import { describe, expect, it } from 'vitest';
import { UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { AZUREML_KEY, azuremlFraudEndpoint } from '../support/fraud-endpoints.js';
import { useStandins } from '../support/standin-server.js';
import { garbleAnswers } from './garbled-answers.js';
import { azuremlReadBack, rollBackThen } from './read-back-world.js';

// A rollback on Azure ML whose read-back `az ml online-endpoint show` printed, once and with exit
// 0, what is not JSON (its answer cut off, a proxy's HTML 502 page) was reported as failed at once
// ("did not print JSON"), the withdrawal pending with no fix named, though Azure had taken it. A read
// that exits 1 is read again until the settle-timeout; so is this one now, and one that never reads
// ends unconfirmed, saying to check what sits between the runner and Azure's API and quoting the
// start of what was printed. Time runs on a FakeClock; az is the stand-in, behind a program that
// garbles its answers.

const standins = useStandins('az', azuremlFraudEndpoint);
const garbled = garbleAnswers('az', 'ml online-endpoint show');

const azureml = azuremlReadBack(standins);

const CUT_OFF = '{\n  "name": "fraud-endpoint",\n  "traffic": {\n    "fraud-v1": 100,';
const PROXY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>\n';

describe('a rollback on Azure ML whose read-back prints what is not JSON', () => {
  it.each([
    ['cut off', CUT_OFF],
    ["a proxy's error page", PROXY_PAGE],
  ])('once (%s): reads again, and the rollback is confirmed', async (_, text) => {
    const { err, tookMs } = await rollBackThen(azureml, () => garbled.arm(text));
    expect(err).toBeUndefined();
    expect(tookMs).toBe(10_000); // one poll-interval, then the read that answered
    expect((await standins.state()).azureml[AZUREML_KEY].traffic).toEqual({ 'fraud-v1': 100, 'fraud-v2': 0 });
  });

  it('every time: unconfirmed at its settle-timeout, saying to check what sits between the runner and the API, quoting the start', async () => {
    const { err, tookMs } = await rollBackThen(azureml, () => garbled.arm(PROXY_PAGE, { times: -1 }));
    expect(err).toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toContain(
      'the last read failed with: `az ml online-endpoint show` did not print JSON (got "<html><head><title>502 Bad Gateway</title></head>',
    );
    expect((err as Error).message).toMatch(
      /: its answer was cut off or replaced on the way; if this keeps happening, check what sits between the runner and the platform's API \(a proxy or gateway\)$/,
    );
    expect(tookMs).toBeGreaterThanOrEqual(10 * 60_000);
  });
});
