import { z } from 'zod';
import type { GitHubClient } from './client.js';
import { type Deployments, payloadOf } from './deployments.js';
import type { Repo } from './repo-files.js';
import { isNotFound } from './sticky-comment.js';

/** A PR waiting for a model's canary slot: a deployment left `queued`. */
const WAIT_TASK = 'model-gate:waiting';

const waiterPayload = z.object({
  pr: z.number(),
  head: z.string(),
  to: z.string(),
  /** The workflow run to re-run once the slot is free. */
  run: z.number(),
});
export type Waiter = z.output<typeof waiterPayload> & { id: number };

/** What became of the queue when a slot freed: the PR whose job was re-run, or why none was. */
export type Started =
  | { model: string; pr: number; run: number; started: true }
  | { model: string; pr: number; run: number; started: false; why: string };

/**
 * The PRs waiting for each model's canary slot, oldest first, as GitHub Deployments in the
 * `queued` state: the Deployments page shows who waits, and the queue needs no server. When
 * the slot frees, the first waiter's workflow run is re-run (its job then claims the slot),
 * which needs the `actions: write` permission. An entry is deleted once it no longer waits,
 * so reading the queue costs one listing (and a status read per waiter).
 */
export class SlotQueue {
  constructor(
    private readonly client: GitHubClient,
    private readonly repo: Repo,
    private readonly deployments: Deployments,
  ) {}

  /** Join the queue, once per PR head; the PR's entries for older heads leave it. */
  async join(model: string, waiter: Omit<Waiter, 'id'>): Promise<void> {
    const mine = await this.waiting(model, waiter.pr);
    if (mine.some((w) => w.head === waiter.head && w.to === waiter.to && w.run === waiter.run)) return;
    for (const w of mine) await this.deployments.remove(w.id, `replaced by ${waiter.head.slice(0, 7)}`);
    const id = await this.deployments.create(model, {
      ref: waiter.head,
      task: WAIT_TASK,
      payload: waiter,
      description: `PR #${waiter.pr} waits for the canary slot (${waiter.to})`,
    });
    await this.deployments.status(id, 'queued', `waiting for the canary slot (${waiter.to})`);
  }

  /** The PR's entries leave the queue: it holds the slot now. */
  async leave(model: string, pr: number, why: string): Promise<void> {
    for (const w of await this.waiting(model, pr)) await this.deployments.remove(w.id, why);
  }

  /** The waiters, oldest first (of one PR only, if given). */
  async waiting(model: string, pr?: number): Promise<Waiter[]> {
    const out: Waiter[] = [];
    for (const d of await this.deployments.list(model, WAIT_TASK, 30)) {
      const p = waiterPayload.safeParse(payloadOf(d));
      if (!p.success || (pr !== undefined && p.data.pr !== pr)) continue;
      if ((await this.deployments.latestState(d.id)) === 'queued') out.push({ ...p.data, id: d.id });
    }
    return out.reverse();
  }

  /**
   * The slot is free: re-run the job of the first waiter whose PR is still open at the head it
   * queued with (the others leave the queue). A refused re-run (no `actions: write`, the run
   * still in progress) keeps the waiter queued, for the next freed slot or schedule tick.
   */
  async startNext(model: string, waiters: Waiter[]): Promise<Started | undefined> {
    for (const w of waiters) {
      const gone = await this.goneWhy(w);
      if (gone) {
        await this.deployments.remove(w.id, gone);
        continue;
      }
      try {
        await this.client.rest.actions.reRunWorkflow({ ...this.repo, run_id: w.run });
      } catch (error) {
        const why = (error as { message?: string }).message ?? String(error);
        return { model, pr: w.pr, run: w.run, started: false, why };
      }
      await this.deployments.remove(w.id, `the slot freed: run ${w.run} re-run`);
      return { model, pr: w.pr, run: w.run, started: true };
    }
    return undefined;
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
