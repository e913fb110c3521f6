import { z } from 'zod';
import { type GitHubClient, isNotFound } from './client.js';
import { type Deployments, payloadOf } from './deployments.js';
import type { Repo } from './repo-files.js';

/** A PR waiting for a model's canary slot: a deployment left `queued`. */
const WAIT_TASK = 'model-gate:waiting';
/**
 * How long a waiter whose run was re-run holds the slot for its job: a runner normally picks the
 * job up within minutes; past this, the re-run is taken to have failed before claiming. The same
 * span keeps a claim whose release no PR comment records yet. A job that fails or is cancelled
 * gives both back sooner, in its post step (GitHubLedger.giveBackSlot); a runner killed before its
 * post step keeps them this long.
 */
export const STARTED_HOLDS_MS = 30 * 60_000;

const waiterPayload = z.object({
  pr: z.number(),
  head: z.string(),
  to: z.string(),
  /** The workflow run to re-run once the slot is free. */
  run: z.number(),
});
export interface Waiter extends z.output<typeof waiterPayload> {
  id: number;
  /** `started`: its run was re-run, and its job has not claimed the slot yet. */
  state: 'queued' | 'started';
  /** When it entered that state (ms). */
  since: number;
}

/** What the queue did when a slot was free: re-ran a waiter's run, could not yet, or gave up on it. */
export interface QueueEvent {
  model: string;
  pr: number;
  run: number;
  outcome: 'started' | 'refused' | 'dropped';
  why?: string;
}

/**
 * The PRs waiting for each model's canary slot, oldest first, as GitHub Deployments in the
 * `queued` state: the Deployments page shows who waits, and the queue needs no server. When the
 * slot frees, the first waiter's workflow run is re-run (which needs `actions: write`) and the
 * waiter is marked started: it holds the slot until its job claims it and deletes the entry.
 */
export class SlotQueue {
  constructor(
    private readonly client: GitHubClient,
    private readonly repo: Repo,
    private readonly deployments: Deployments,
  ) {}

  /**
   * Join the queue. A PR keeps its place while its head and version stay (a re-run, a label);
   * a new head takes a new place at the back.
   */
  async join(model: string, waiter: z.input<typeof waiterPayload>): Promise<void> {
    const mine = await this.waiting(model, waiter.pr);
    const same = mine.find((w) => w.head === waiter.head && w.to === waiter.to);
    for (const w of mine)
      if (w !== same) await this.deployments.remove(w.id, `replaced by ${waiter.head.slice(0, 7)}`);
    // Started, yet queued again: another PR took the slot before its job did.
    if (same?.state === 'started')
      await this.deployments.status(same.id, 'queued', `waiting again (${waiter.to})`);
    if (same) return;
    const id = await this.deployments.create(model, {
      ref: waiter.head,
      task: WAIT_TASK,
      payload: waiter,
      description: `PR #${waiter.pr} waits for the canary slot (${waiter.to})`,
    });
    await this.deployments.status(id, 'queued', `waiting for the canary slot (${waiter.to})`);
  }

  /** The PR's entries (among `waiters`, if read already) leave the queue: it holds the slot now. */
  async leave(model: string, pr: number, why: string, waiters?: Waiter[]): Promise<void> {
    const mine = waiters ? waiters.filter((w) => w.pr === pr) : await this.waiting(model, pr);
    for (const w of mine) await this.deployments.remove(w.id, why);
  }

  /** The waiters, oldest first (of one PR only, if given). */
  async waiting(model: string, pr?: number): Promise<Waiter[]> {
    const out: Waiter[] = [];
    for (const d of await this.deployments.list(model, WAIT_TASK, 30)) {
      const p = waiterPayload.safeParse(payloadOf(d));
      if (!p.success || (pr !== undefined && p.data.pr !== pr)) continue;
      const status = await this.deployments.latestStatus(d.id);
      const state =
        status?.state === 'queued' ? 'queued' : status?.state === 'in_progress' ? 'started' : undefined;
      if (status && state) out.push({ ...p.data, id: d.id, state, since: status.at });
    }
    return out.reverse();
  }

  /**
   * The waiters (declaring `to`, if given) still waiting: their PR open at the head they queued
   * with. One whose PR GitHub would not give counts as waiting, as in `reserved`: what a caller
   * keeps for it (a deployment) is the safe side. One request per such waiter.
   */
  async stillWaiting(model: string, to?: string): Promise<Waiter[]> {
    const out: Waiter[] = [];
    for (const w of await this.waiting(model)) {
      if (to !== undefined && w.to !== to) continue;
      if (!(await this.goneWhy(w).catch(() => undefined))) out.push(w);
    }
    return out;
  }

  /**
   * The slot is free: unless a waiter re-run moments ago still holds it (`reserved`), re-run the
   * first waiter whose PR is still open at the head it queued with. Waiters that no longer wait (PR
   * closed or moved on, run gone or too old to re-run, re-run long ago without a claim) leave.
   * A refusal that may pass (the run is still running; no `actions: write`) stops the pass: the
   * next freed slot or schedule tick tries again.
   */
  async startNext(model: string, waiters: Waiter[], now: number): Promise<QueueEvent[]> {
    const { held, left } = await this.reserved(waiters, now);
    if (held) return [];
    const events: QueueEvent[] = [];
    for (const w of waiters) {
      if (left.includes(w)) continue;
      const event = { model, pr: w.pr, run: w.run };
      const gone =
        w.state === 'started'
          ? `its re-run of run ${w.run} did not claim the slot within ${STARTED_HOLDS_MS / 60_000} min`
          : await this.goneWhy(w);
      if (gone) {
        await this.deployments.remove(w.id, gone);
        continue;
      }
      try {
        await this.client.rest.actions.reRunWorkflow({ ...this.repo, run_id: w.run });
      } catch (error) {
        const why = (error as { message?: string }).message ?? String(error);
        if (mayPass(error)) return [...events, { ...event, outcome: 'refused', why }];
        await this.deployments.remove(w.id, `run ${w.run} cannot be re-run`);
        events.push({ ...event, outcome: 'dropped', why });
        continue;
      }
      await this.deployments.status(w.id, 'in_progress', `run ${w.run} re-run: its job takes the slot`);
      return [...events, { ...event, outcome: 'started' }];
    }
    return events;
  }

  /**
   * The waiter the slot is held for (its run re-run moments ago, its job yet to claim it), unless
   * its PR was closed or moved on since: closing the PR or pushing to it cancels that run, and a job
   * cancelled before it began has no post step to give the slot back. Such an entry leaves the
   * queue (`left`) and holds nothing, whether or not GitHub takes its removal. `self`'s own
   * reservation is taken as it stands: its job is the one asking. One request per other PR's
   * reservation, only when the slot is wanted (a waiter to start, a claim); a PR whose state GitHub
   * would not give keeps its reservation, as before anyone asked.
   */
  async reserved(waiters: Waiter[], now: number, self?: number): Promise<{ held?: Waiter; left: Waiter[] }> {
    const left: Waiter[] = [];
    for (const w of waiters) {
      if (!reservedNow(w, now)) continue;
      const gone = w.pr === self ? undefined : await this.goneWhy(w).catch(() => undefined);
      if (!gone) return { held: w, left };
      // Gone, it holds nothing even if GitHub refuses the removal: the next look removes it.
      const why = `${gone} before its re-run of run ${w.run} claimed the slot`;
      await this.deployments.remove(w.id, why).catch(() => {});
      left.push(w);
    }
    return { left };
  }

  /** Why a waiter no longer waits: its PR was closed or moved on. */
  private async goneWhy(w: Waiter): Promise<string | undefined> {
    try {
      const { data } = await this.client.rest.pulls.get({ ...this.repo, pull_number: w.pr });
      if (data.state !== 'open') return `PR #${w.pr} was closed`;
      if (data.head.sha !== w.head) return `PR #${w.pr} moved on to ${data.head.sha.slice(0, 7)}`;
      return undefined;
    } catch (error) {
      if (isNotFound(error)) return `PR #${w.pr} is gone`;
      throw error;
    }
  }
}

/**
 * A refused re-run that a later try may get past: the run is still running (a matrix sibling
 * job), the token lacks `actions: write` (the same for every waiter), or GitHub failed.
 */
function mayPass(error: unknown): boolean {
  const { status, message = '' } = error as { status?: number; message?: string };
  return (
    status === undefined ||
    status >= 500 ||
    /already running|not accessible by integration|rate limit/i.test(message)
  );
}

/** A waiter whose run was re-run moments ago: the slot is its until its job claims it. */
const reservedNow = (w: Waiter, now: number) => w.state === 'started' && now - w.since < STARTED_HOLDS_MS;
