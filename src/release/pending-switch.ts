import { isDefect } from './defects.js';
import type { TickContext } from './tick.js';
import type { Release } from './types.js';

// A pass's switch into the next phase is recorded before the change (tick.ts passPhase), marked
// pending (Release.switchPending) until the change is confirmed and saved: a run lost in between
// leaves a record the next run enters that phase from (tick.ts switchAgain).

/**
 * `ctx` whose `record` notes a switch recorded pending, and `takeBack`, for an error that stops the
 * tick: a defect (defects.ts) stopping the switch after that record puts back the record the tick
 * began from (`loaded`), which the run's stop on the defect then ends, its candidate withdrawn
 * (schedule-defects.ts), as before the switch was recorded first: else that stop would take this
 * run's own record for another run's step and leave the candidate live. Any other error leaves the
 * record pending, for the next run to enter the phase from.
 */
export function recordingSwitch(ctx: TickContext, loaded: Release) {
  const record = ctx.record;
  if (!record) return { ctx, takeBack: async (_err: unknown) => {} };
  let pending = false;
  const noting = async (decided: Release) => {
    pending = decided.switchPending === true;
    await record(decided);
  };
  const takeBack = async (err: unknown) => {
    if (!pending || !isDefect(err)) return;
    try {
      await record(loaded);
    } catch {
      // The defect is what the run fails on and reports.
    }
  };
  return { ctx: { ...ctx, record: noting }, takeBack };
}
