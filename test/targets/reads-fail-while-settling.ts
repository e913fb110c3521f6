import { FakeClock } from '../../src/core/clock.js';
import {
  atCanaryStep,
  confirmedRollBack,
  type ReadBackPlatform,
  type RollbackOutcome,
  readsMade,
} from './read-back-world.js';

/** A FakeClock that runs `beforeSleep` before each sleep: a test's hook into a target's waits. */
class HookedClock extends FakeClock {
  beforeSleep?: () => Promise<void>;
  override async sleep(ms: number): Promise<void> {
    await this.beforeSleep?.();
    return super.sleep(ms);
  }
}

/** How such a rollback ended (RollbackOutcome: its reads are those made after `meanwhile`). */
export interface WhileSettlingOutcome extends RollbackOutcome {
  /** Whether `meanwhile` ran: the rollback's change was sent, then waited on. */
  happened: boolean;
}

/**
 * fraud at its canary's 10% step on `platform`, then rolled back to v1 (read back patiently, as a
 * rollback is), `meanwhile` done to the stand-in at the first wait after the platform took the
 * rollback's change (a call `isWrite` picks): while the target waits inside its write for the
 * change to land (SageMaker InService, KServe Ready), its reads start failing, say. On a FakeClock.
 * The platform must take a read or more to settle (the stand-in's `settleGets`), or there is no wait.
 */
export async function rollBackWhileSettling(
  platform: ReadBackPlatform,
  isWrite: (argv: string[]) => boolean,
  meanwhile: () => Promise<void>,
): Promise<WhileSettlingOutcome> {
  const clock = new HookedClock();
  const { model, target } = await atCanaryStep(platform, clock);
  const calls = () => platform.standins.calls(platform.cli);
  const writesBefore = (await calls()).filter((c) => isWrite(c.argv)).length;
  let readsBefore: number | undefined;
  clock.beforeSleep = async () => {
    if (readsBefore !== undefined) return;
    const made = await calls();
    if (made.filter((c) => isWrite(c.argv)).length === writesBefore) return;
    await meanwhile();
    readsBefore = made.filter((c) => platform.isRead(c.argv)).length;
  };
  const { err, tookMs } = await confirmedRollBack(target, model, clock);
  const reads = (await readsMade(platform)) - (readsBefore ?? 0);
  return { err, tookMs, reads, happened: readsBefore !== undefined };
}
