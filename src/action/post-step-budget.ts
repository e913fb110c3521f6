import { formatDuration } from '../config/duration.js';
import type { ModelConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Release } from '../release/types.js';

/**
 * GitHub force-stops a cancelled job, its post steps included, 5 minutes after the cancel
 * (docs.github.com, "Workflow cancellation reference"), and the main step may take 10 s of that
 * to stop (SIGINT, SIGTERM 7.5 s later, killed 2.5 s after). This step's traffic changes end
 * within 4 minutes of its start, their read-back included, leaving the rest for the records and
 * the comment written after them: a withdrawal not confirmed by then is recorded unconfirmed (or
 * failed), for the next run to check, rather than killed mid-wait with its record still saying
 * it is under way.
 */
export const POST_STEP_BUDGET_MS = 4 * 60_000;

/**
 * Test-only, never set in real use: `MODEL_GATE_TEST_POST_STEP_BUDGET_MS`, a shorter budget (ms)
 * than POST_STEP_BUDGET_MS, so a test need not wait 4 real minutes. Unset, or anything else:
 * POST_STEP_BUDGET_MS.
 */
export function postStepBudgetMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.MODEL_GATE_TEST_POST_STEP_BUDGET_MS);
  return ms > 0 && ms < POST_STEP_BUDGET_MS ? ms : POST_STEP_BUDGET_MS;
}

/** When this step's traffic changes are to end (`ends`, on `clock`), and the budget that set it. */
export interface StepBudget {
  ends: number;
  ms: number;
  clock: Clock;
}

/**
 * `model` with its target's settle-timeout (which bounds a whole traffic change, its read-back
 * included) cut to what is left of the step's budget, where that is less. A change begun with
 * nothing left still gets one try (a call's grace, change-deadline.ts): its end is on record by then.
 */
export function withinBudget(model: ModelConfig, budget: StepBudget): ModelConfig {
  if (!('settleTimeoutMs' in model.target)) return model;
  const left = Math.max(0, budget.ends - budget.clock.now());
  if (left >= model.target.settleTimeoutMs) return model;
  const pollIntervalMs = Math.min(model.target.pollIntervalMs, left);
  const target = { ...model.target, settleTimeoutMs: left, pollIntervalMs } as ModelConfig['target'];
  return { ...model, target };
}

/**
 * Why a change of `model`'s target (made as `capped`, withinBudget's) ended untaken or unconfirmed,
 * where the step's budget, not the target's settle-timeout, stopped it; undefined where it did not.
 */
export function budgetRanOut(
  model: ModelConfig,
  capped: ModelConfig,
  budget: StepBudget,
): string | undefined {
  if (capped === model || budget.clock.now() < budget.ends) return undefined;
  const settle = 'settleTimeoutMs' in model.target ? model.target.settleTimeoutMs : 0;
  return `the post step stopped waiting for the platform ${formatDuration(budget.ms)} after it started, before the target's settle-timeout (${formatDuration(settle)}), as GitHub stops a cancelled job 5 minutes after the cancel`;
}

/**
 * `release` (its withdrawal pending, not taken or not confirmed) with `why` the budget stopped it
 * in its reason and in the platform's words the report quotes, so the PR comment says it.
 */
export function toldOutOfTime(release: Release, why: string): Release {
  const failed = release.ending?.withdrawFailed;
  if (!release.withdrawPending || !failed) return release;
  return {
    ...release,
    reason: `${release.reason}; ${why}`,
    ending: { ...release.ending, withdrawFailed: { ...failed, note: `${failed.note}; ${why}` } },
  };
}
