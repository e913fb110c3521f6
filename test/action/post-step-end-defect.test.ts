import { describe, expect, it, vi } from 'vitest';
import type { ModelConfig } from '../../src/config/types.js';
import { requestJson } from '../../src/core/http-json.js';
import { targetFor } from '../../src/release/adapters.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { fraudPr } from '../support/fraud-pr.js';
import { fraudPrOnSandbox, fraudServing, useFraudPrPostStep } from '../support/main-step.js';
import { standIn } from '../support/memory-target.js';
import { WRITE_DEFECT } from '../support/planted-write-defect.js';

// A PR's job is cancelled mid-analysis, its candidate v2 on 10%, and its post step ends the release
// and withdraws v2, meeting a defect in model-gate (a TypeError thrown from the traffic change) after
// recording the end. The step used to call that a ledger failure ("could not read or write the
// ledger (Cannot read properties…)"), telling the user to re-run once GitHub answers. Now it is
// reported as the bug it is ("…; please report it"), the stack trace only in the debug log, the step
// fails, and v2 is taken out all the same where a second try can: the record then says so. The
// defect is planted in the sandbox target (a real sandbox behind it); the post step runs from src/ in
// this process, where that wrapper reaches it.

const MODEL = 'fraud-detector';
// How many of the traffic changes to come meet the defect.
const plant = vi.hoisted(() => ({ writes: 0 }));

vi.mock('../../src/release/adapters.js', async (importOriginal) => {
  const { plantWriteDefect } = await import('../support/planted-write-defect.js');
  return plantWriteDefect(await importOriginal(), () => {
    if (plant.writes === 0) return false;
    plant.writes -= 1;
    return true;
  });
});

const world = useFraudPrPostStep();
/** The PR job's post step: its `::error::` and its debug lines. */
const postStep = world.postStep;

/** A job cancelled mid-analysis: v2 analysing on 10% of live traffic. */
async function cancelledMidAnalysis() {
  const w = await fraudPr({ to: 'v2', yaml: fraudPrOnSandbox(world.sandbox.url) });
  // The job's memory target stands in for the sandbox the post step drives.
  standIn(w.target, targetFor(w.config.models[MODEL] as ModelConfig));
  const opened = await handlePullRequest(w.config, w.event(), w.ports, {
    mode: 'tick',
    maxWaitMs: 0,
    dryRun: false,
  });
  expect(opened.releases[0]).toMatchObject({ status: 'analysing', phase: 0 });
  const live = { stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } };
  await requestJson('PUT', `${world.sandbox.url}/admin/models/${MODEL}/traffic`, live);
  return { w, live };
}

describe("a defect met by a PR job's post step withdrawing its candidate", () => {
  it('fails the step as a defect to report, and a second try takes v2 out', async () => {
    const { w } = await cancelledMidAnalysis();
    plant.writes = 1;
    const step = await postStep(w.ledgerPath);
    expect(step.error).toBe(
      `model-gate post step: ${MODEL}: model-gate stopped on an unexpected error withdrawing v2: ${WRITE_DEFECT}; v2 withdrawn on a second try; please report it`,
    );
    // The stack trace is for a bug report, in the debug log only.
    expect(step.error).not.toContain('    at ');
    expect(step.debug).toContain(`::debug::TypeError: ${WRITE_DEFECT}`);
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
    const release = await w.ledger.release(MODEL);
    expect(release).toMatchObject({ status: 'aborted' });
    expect(release?.withdrawPending).toBeUndefined();
  });

  it('fails the step as a defect to report, v2 still pending withdrawal, when the second try meets it too', async () => {
    const { w, live } = await cancelledMidAnalysis();
    plant.writes = 2;
    const step = await postStep(w.ledgerPath);
    plant.writes = 0;
    expect(step.error).toBe(
      `model-gate post step could not withdraw the candidate: ${MODEL}: model-gate stopped on an unexpected error withdrawing v2: ${WRITE_DEFECT}; v2 may still get live traffic: the next run tries again; please report it`,
    );
    expect(await fraudServing(world.sandbox)).toEqual(live);
    // The record says so, and the next run takes v2 out.
    const release = await w.ledger.release(MODEL);
    expect(release).toMatchObject({ status: 'aborted', withdrawPending: true });
    expect(release?.reason).toContain(
      `withdrawing v2 failed: model-gate stopped on an unexpected error: ${WRITE_DEFECT}`,
    );
    expect((await postStep(w.ledgerPath)).error).toBeUndefined();
    expect(await fraudServing(world.sandbox)).toEqual({ stable: { version: 'v1' } });
  });
});
