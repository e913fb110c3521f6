import { describe, expect, it, vi } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { requestJson } from '../../src/core/http-json.js';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudPrOnSandbox, fraudServing, useFraudPrPostStep } from '../support/main-step.js';
import { standIn } from '../support/memory-target.js';
import { WRITE_DEFECT } from '../support/planted-write-defect.js';

// A PR's job left its failed candidate v2 on 10% (the platform refused the rollback), and its post
// step tries the withdrawal again, meeting a defect in model-gate (a TypeError thrown from the traffic
// change), not a platform refusal. The step used to fail quoting the platform's earlier refusal, as
// if the platform had refused again; now it says model-gate stopped on an unexpected error, to be
// reported, the withdrawal still pending, and the next run takes v2 out. A defect can only be
// planted: the sandbox target (a real sandbox behind it) is wrapped to throw one, and the post step
// runs from src/ in this process, where that wrapper reaches it.

const MODEL = 'fraud-detector';
const plant = vi.hoisted(() => ({ defect: false }));

vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const { plantWriteDefect } = await import('../support/planted-write-defect.js');
  return plantWriteDefect(await importOriginal(), () => plant.defect);
});

const world = useFraudPrPostStep();
/** The PR job's post step; its `::error::`, if it failed. */
const postStep = async (ledger: string) => (await world.postStep(ledger)).error;

describe("a defect met by a PR job's post step retrying a pending withdrawal", () => {
  it('fails the step saying so, the withdrawal pending, and the next run withdraws v2', async () => {
    // The job's candidate v2 fails its gate, and the platform refuses its rollback.
    const w = await fraudPr({ to: 'v2', candidateErrors: 0.2, yaml: fraudPrOnSandbox(world.sandbox.url) });
    // The job's memory target stands in for the sandbox the post step drives.
    standIn(w.target, targetFor(w.config.models[MODEL] as ModelConfig));
    w.target.failFromWrite = 1;
    const failed = await handlePullRequest(w.config, w.event(), w.ports, {
      mode: 'watch',
      maxWaitMs: 60_000,
      dryRun: false,
    });
    expect(failed.releases[0]).toMatchObject({ status: 'failed', withdrawPending: true });
    const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
    await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, live);

    plant.defect = true;
    const error = await postStep(w.ledgerPath);
    expect(error).toBe(
      `model-gate post step could not withdraw the candidate: ${MODEL}: model-gate stopped on an unexpected error withdrawing v2: ${WRITE_DEFECT}; v2 may still get live traffic: the next run tries again; please report it`,
    );
    expect(await fraudServing(world.sandbox)).toEqual(live);
    expect(await w.ledger.release(MODEL)).toMatchObject({ status: 'failed', withdrawPending: true });

    plant.defect = false;
    expect(await postStep(w.ledgerPath)).toBeUndefined();
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    expect((await w.ledger.release(MODEL))?.withdrawPending).toBeUndefined();
  });
});
