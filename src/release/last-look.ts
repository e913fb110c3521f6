// A merge's last look at the gates of a candidate it withdraws while it was still analysing (the
// merge job, merge-job.ts): what the candidate showed while it served callers, read once, bounded
// in time, before its traffic is taken away.
import type { ModelConfig } from '../config/types.js';
import { isLiveGate, lookAtGate } from '../gates/live-gates.js';
import { phasesOf } from '../strategies/strategy.js';
import { platformNameOf } from '../targets/target.js';
import { checkSameTarget } from './deployed-target.js';
import { announceEnd, endThenWithdraw } from './finish.js';
import { atFullTraffic, isSideBySide } from './full-traffic.js';
import { contextFor, type Ports } from './ports.js';
import { endRelease } from './pull-request.js';
import { switchedAt } from './resumed-switch.js';
import { withLook } from './series.js';
import type { GateState, Release } from './types.js';

/**
 * How long a merge waits for its last look at the gates before it withdraws the candidate anyway:
 * a metric source that hangs must not keep callers on a candidate nobody will promote. Wall time,
 * not the run's clock: it bounds what this job waits for, as a request's timeout does.
 */
export const LAST_LOOK_MS = 10_000;

/**
 * Withdraws a candidate merged while it was analysing (require-pass, analysed on an earlier head
 * than the merged one, or replaced by the merged head's: merge-job.ts) after one last look at its
 * gates, so that the report says what it showed while it served callers: a blue-green merged
 * mid-bake had 100% of traffic and, without the look, its gates read "not run". A look is only a
 * read of the metric source (no traffic change), bounded by LAST_LOOK_MS; one that errs or runs
 * out of time leaves the gates as the earlier looks left them. The release ends `aborted` (or
 * `status`), its reason `why` then `next` (what to do); where a gate failed on the look it ends
 * `failed` instead, rolled back, its reason naming the gate first: the merged version failed.
 */
export async function withdrawAfterLastLook(
  release: Release,
  why: string,
  model: ModelConfig,
  ports: Ports,
  next = '',
  status: 'aborted' | 'superseded' = 'aborted',
): Promise<Release> {
  // Deployed on another target: its metrics are not this config's to read; endRelease says so.
  const ctx = contextFor(model, ports);
  checkSameTarget(release, ctx.target);
  const looked = await lastLook(release, model, ports);
  const failed = looked.gates.filter((g) => g.verdict === 'fail');
  if (failed.length === 0) return endRelease(looked, status, `${why}${next}`, model, ports);
  const failure = `${failed.map((g) => g.reason ?? `${g.name} failed`).join('; ')} on its last look at the merge`;
  const now = ports.clock.now();
  // Its phase ends failed, as a tick's rollback ends it, not withdrawn.
  const phases = looked.phases.map((p) =>
    p.endedAt === undefined ? { ...p, endedAt: now, outcome: 'failed' as const, note: failure } : p,
  );
  const end = { status: 'failed' as const, why: `${failure}; ${why}${next}` };
  const rolledBack = await endThenWithdraw({ ...looked, phases }, end, ctx, ports.ledger, announceEnd(ports));
  return rolledBack.release;
}

/**
 * `release` with one more look at each live gate over its current phase, as a tick takes it but
 * deciding nothing. A gate that already failed, a conversion that passed, a side-by-side gate at
 * full traffic (no stable beside it) and a phase before the first traffic change or a smoke test
 * are not looked at; a look that errs (an outage) adds nothing.
 */
async function lastLook(release: Release, model: ModelConfig, ports: Ports): Promise<Release> {
  const phase = phasesOf(model.strategy)[release.phase];
  if (!phase || phase.smoke) return release;
  const ctx = contextFor(model, ports);
  const now = ports.clock.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outOfTime = new Promise<'out of time'>((resolve) => {
    timer = setTimeout(() => resolve('out of time'), LAST_LOOK_MS);
  });
  const gates: GateState[] = [];
  let unlooked: string | undefined;
  let outOfTimeAlready = false;
  try {
    for (const state of release.gates) {
      const gate = model.gates.find((g) => g.name === state.name);
      const skip =
        outOfTimeAlready ||
        !gate ||
        !isLiveGate(gate) ||
        state.verdict === 'fail' ||
        (state.kind === 'conversion' && state.verdict === 'pass') ||
        (atFullTraffic(phase) && isSideBySide(gate));
      if (skip) {
        gates.push(state);
        continue;
      }
      const look = lookAtGate(gate, state, {
        metrics: ctx.metrics,
        model: release.model,
        stable: release.from,
        candidate: release.to,
        nameOf: (version) => platformNameOf(ctx.target, version),
        weight: phase.weight,
        candidateSlot: phase.candidateSlot,
        since: release.phaseStartedAt,
        switchedAt: switchedAt(release, phase),
        earlierLive: release.earlierLive,
        now,
        minRequests: model.strategy.minRequests,
      }).catch((err: unknown) => err as Error);
      const seen = await Promise.race([look, outOfTime]);
      if (seen === 'out of time' || seen instanceof Error) {
        outOfTimeAlready = seen === 'out of time';
        unlooked ??= outOfTimeAlready ? `no answer within ${LAST_LOOK_MS / 1000} s` : (seen as Error).message;
        gates.push(state);
        continue;
      }
      const next = seen.last === state.last ? undefined : seen.last;
      if (next?.verdict === 'error') {
        unlooked ??= next.note;
        gates.push(state);
        continue;
      }
      gates.push(withLook(seen, next, release.startedAt));
    }
  } finally {
    clearTimeout(timer);
  }
  if (unlooked !== undefined)
    ports.log.warn(
      `${model.name}: the last look at the gates before withdrawing ${release.to} was not taken (${unlooked}): the report shows the looks before it`,
    );
  return { ...release, gates, updatedAt: now };
}
