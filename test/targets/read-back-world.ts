import type { AzureMlTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { confirmingTarget } from '../../src/release/confirmed-change.js';
import { azuremlTarget } from '../../src/targets/azureml-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import type { Target } from '../../src/targets/target.js';
import { fraudCanaryOn } from '../support/model-config.js';
import type { PlatformState, StandinCli, StandinFault, Standins } from '../support/standin-cli.js';
import { step } from './drive.js';

/** fraud on one platform, driven through its CLI's stand-in. */
export interface ReadBackPlatform {
  standins: Standins;
  cli: StandinCli;
  /** The target's config (YAML), with settle-timeout 10m and poll-interval 10s. */
  target: string;
  make(model: ModelConfig, clock: FakeClock): Target;
  /** Whether a call (argv after the program) is the target's read. */
  isRead(argv: string[]): boolean;
}

/** fraud on Azure ML (endpoint fraud-endpoint, workspace fraud-ws), through the az stand-in. */
export const azuremlReadBack = (standins: Standins): ReadBackPlatform => ({
  standins,
  cli: 'az',
  target:
    '{ type: azureml, endpoint: fraud-endpoint, resource-group: ml-prod, workspace: fraud-ws, deployment: "fraud-{{version}}", settle-timeout: 10m, poll-interval: 10s }',
  make: (model, clock) => azuremlTarget(model.target as AzureMlTargetConfig, 'fraud', clock),
  isRead: (argv) => argv[1] === 'online-endpoint' && argv[2] === 'show',
});

/** How a rollback whose read-back failed ended: its error, the time it took, the reads it made. */
export interface RollbackOutcome {
  err: unknown;
  tookMs: number;
  reads: number;
}

/**
 * fraud at its canary's 10% step on `platform`, then rolled back to v1 with `faults` set on the
 * stand-in right after the platform took the rollback's change (credentials that expire in
 * between, a role assignment removed, the API throttling): how the rollback ended, on a FakeClock,
 * and how many reads its read-back made.
 */
export const rollBackWhileReadsFail = (platform: ReadBackPlatform, ...faults: StandinFault[]) =>
  rollBackThen(platform, () => platform.standins.fault(...faults));

/**
 * fraud at its canary's 10% step on `platform`, then rolled back to v1 with `afterChange` done to
 * the stand-in right after the platform took the rollback's change (the endpoint deleted by a
 * teardown, a fault set): how the rollback ended, on a FakeClock, and how many reads its read-back made.
 */
export async function rollBackThen(
  platform: ReadBackPlatform,
  afterChange: () => Promise<void>,
): Promise<RollbackOutcome> {
  const clock = new FakeClock();
  const { model, target } = await atCanaryStep(platform, clock);
  let before = 0;
  const failingAfterChange: Target = {
    ...target,
    write: async (desired) => {
      const readBack = await target.write(desired);
      await afterChange();
      before = await readsMade(platform); // the read-back's reads only
      return readBack;
    },
  };
  const { err, tookMs } = await confirmedRollBack(failingAfterChange, model, clock);
  return { err, tookMs, reads: (await readsMade(platform)) - before };
}

/** fraud's model on `platform` and its target on `clock`, at its canary's 10% step. */
export async function atCanaryStep(platform: ReadBackPlatform, clock: FakeClock) {
  const model = fraudCanaryOn(platform.target).model;
  const target = platform.make(model, clock);
  await reconcile(target, step('v1', 'v2', 10));
  return { model, target };
}

/** The rollback of `target` to v1, confirmed as a release confirms it: its error, if any, and the time it took. */
export async function confirmedRollBack(target: Target, model: ModelConfig, clock: FakeClock) {
  const began = clock.now();
  const err = await reconcile(confirmingTarget(target, model, clock), withdrawTraffic('v1')).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, tookMs: clock.now() - began };
}

/** How many reads the target has made on `platform` so far. */
export const readsMade = async (platform: ReadBackPlatform) =>
  (await platform.standins.calls(platform.cli)).filter((c) => platform.isRead(c.argv)).length;

/**
 * Removes from the stand-in's state what `gone` picks (the endpoint, the Experiment), as a teardown
 * would: for rollBackThen.
 */
export const removing =
  (standins: Standins, gone: (state: PlatformState) => void) => async (): Promise<void> => {
    const state = await standins.state();
    gone(state);
    await standins.seed(state);
  };
