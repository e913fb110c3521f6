import { z } from 'zod';
import { type LedgerEntry, sameEntry } from '../ledger/ledger.js';
import { version } from '../ledger/release-schema.js';
import type { Release } from '../release/types.js';
import { type GitHubClient, isNotFound } from './client.js';
import type { Repo } from './repo-files.js';

/** Each model has its own environment, so the Deployments page is its audit trail. */
export const environmentOf = (model: string) => `model-gate/${model}`;
/** Promotions and rollbacks: what serves. */
const SERVE_TASK = 'deploy';
/** A candidate holding the model's canary slot (analysing, or ready and awaiting merge). */
const CANARY_TASK = 'model-gate:canary';

// Anyone who may create deployments can write a payload: its versions reach target calls (a
// rollback serves the previous version), so a payload whose versions break the rules is ignored.
const servePayload = z.object({
  kind: z.enum(['promotion', 'rollback']),
  version,
  previous: version,
  pr: z.number().optional(),
  summary: z.string(),
});
const canaryPayload = z.object({
  pr: z.number().optional(),
  to: version,
  from: version,
  head: z.string().optional(),
});

/** A claim of a model's canary slot: its deployment, when it was made (ms), PR and versions. */
export type CanaryClaim = { id: number; at: number } & z.output<typeof canaryPayload>;

export type Deployment = Awaited<
  ReturnType<GitHubClient['rest']['repos']['listDeployments']>
>['data'][number];

/** GitHub Deployments as the ledger of what served when, and as the canary-slot lock. */
export class Deployments {
  constructor(
    private readonly client: GitHubClient,
    private readonly repo: Repo,
    /** The commit a deployment made by this run points at. */
    private readonly sha: string,
  ) {}

  /** Promotions and rollbacks of the model, oldest first. */
  async history(model: string): Promise<LedgerEntry[]> {
    const list = await this.list(model, SERVE_TASK, 30);
    return list
      .flatMap((d) => {
        const p = servePayload.safeParse(payloadOf(d));
        return p.success ? [{ model, ...p.data, at: Date.parse(d.created_at) }] : [];
      })
      .reverse();
  }

  /**
   * A deployment per promotion or rollback, marked successful; the one it replaces becomes
   * inactive. One the newest deployment records already (sameEntry: a re-run's) is not made twice.
   */
  async record(entry: LedgerEntry): Promise<void> {
    const previous = (await this.list(entry.model, SERVE_TASK, 1))[0];
    const newest = previous && servePayload.safeParse(payloadOf(previous));
    if (newest?.success && sameEntry(newest.data, entry)) return;
    const id = await this.create(entry.model, {
      ref: this.sha,
      task: SERVE_TASK,
      payload: {
        kind: entry.kind,
        version: entry.version,
        previous: entry.previous,
        pr: entry.pr,
        summary: entry.summary,
      },
      description: `${entry.kind} ${entry.previous} -> ${entry.version}`,
    });
    await this.status(id, 'success', entry.summary);
    if (previous && (await this.latestState(previous.id)) === 'success') {
      await this.status(previous.id, 'inactive', `replaced by ${entry.version}`);
    }
  }

  /** Add a status to the newest promotion or rollback of the model (the version serving now). */
  async markServing(model: string, state: 'failure', description: string): Promise<void> {
    const serving = (await this.list(model, SERVE_TASK, 1))[0];
    if (serving) await this.status(serving.id, state, description);
  }

  /**
   * Claim the canary slot: a deployment in progress for the candidate. Idempotent: a job
   * killed after claiming gets its own claim back when re-run. Returns its id, or the claim of
   * another PR that holds the slot: one found first, or one made at the same moment as this
   * one, where the older claim wins and this one steps back.
   */
  async claimCanary(
    release: Release,
    /** Whether another PR's claim still stands for a live release (else it is left over, and ended). */
    stands: (claim: CanaryClaim) => Promise<boolean>,
  ): Promise<{ id: number } | { heldBy: CanaryClaim }> {
    const before = await this.list(release.model, CANARY_TASK, 5);
    const held = await this.holderAmong(before);
    if (held && held.pr !== release.pr) {
      if (await stands(held)) return { heldBy: held };
      await this.status(held.id, 'inactive', 'left over: no live release holds it');
    }
    if (held && held.pr === release.pr && held.to === release.to && held.head === release.headSha)
      return { id: held.id };
    const id = await this.create(release.model, {
      ref: release.headSha ?? this.sha,
      task: CANARY_TASK,
      payload: { pr: release.pr, to: release.to, from: release.from, head: release.headSha },
      description: `canary ${release.from} -> ${release.to}`,
    });
    await this.status(id, 'in_progress', `analysing ${release.to}`);
    // Claims made since the first look, older than this one: a rival's, even one whose status
    // is not written yet, wins.
    const seen = new Set(before.map((d) => d.id));
    const rivals = (await this.list(release.model, CANARY_TASK, 5)).filter(
      (d) => d.id < id && !seen.has(d.id),
    );
    const rival = await this.holderAmong(rivals, true);
    if (rival && rival.pr !== release.pr) {
      await this.status(id, 'inactive', `PR #${rival.pr} claimed the canary slot first`);
      return { heldBy: rival };
    }
    return { id };
  }

  /** Free the canary slot, saying how the release ended. */
  async endCanary(id: number, release: Release): Promise<void> {
    const state = release.status === 'failed' ? 'failure' : 'inactive';
    await this.status(id, state, `${release.to} ${release.status}`);
  }

  /** The PR and versions of the release holding the model's canary slot, if any. */
  async canaryHolder(model: string): Promise<CanaryClaim | undefined> {
    return this.holderAmong(await this.list(model, CANARY_TASK, 5));
  }

  /** The newest claim in progress among `claims` (`fresh`: also one with no status yet). */
  private async holderAmong(claims: Deployment[], fresh = false): Promise<CanaryClaim | undefined> {
    for (const d of claims) {
      const state = await this.latestState(d.id);
      if (state !== 'in_progress' && state !== 'queued' && !(fresh && state === undefined)) continue;
      const p = canaryPayload.safeParse(payloadOf(d));
      if (p.success) return { id: d.id, at: Date.parse(d.created_at), ...p.data };
    }
    return undefined;
  }

  /** A deployment in the model's environment; returns its id. */
  async create(
    model: string,
    d: { ref: string; task: string; payload: Record<string, unknown>; description: string },
  ): Promise<number> {
    const created = await this.client.rest.repos.createDeployment({
      ...this.repo,
      ref: d.ref,
      task: d.task,
      environment: environmentOf(model),
      auto_merge: false,
      required_contexts: [],
      transient_environment: false,
      payload: d.payload,
      description: d.description,
    });
    return (created.data as { id: number }).id;
  }

  /** Mark a deployment inactive and delete it (GitHub deletes only inactive deployments). */
  async remove(id: number, why: string): Promise<void> {
    try {
      await this.status(id, 'inactive', why);
      await this.client.rest.repos.deleteDeployment({ ...this.repo, deployment_id: id });
    } catch (error) {
      // Another job removed it first.
      if (!isNotFound(error)) throw error;
    }
  }

  /** The model's deployments of one task, newest first. */
  async list(model: string, task: string, perPage: number): Promise<Deployment[]> {
    const res = await this.client.rest.repos.listDeployments({
      ...this.repo,
      environment: environmentOf(model),
      task,
      per_page: perPage,
    });
    return res.data;
  }

  async latestState(id: number): Promise<string | undefined> {
    return (await this.latestStatus(id))?.state;
  }

  /** The deployment's newest status: its state and when it was set (ms). */
  async latestStatus(id: number): Promise<{ state: string; at: number } | undefined> {
    const res = await this.client.rest.repos.listDeploymentStatuses({
      ...this.repo,
      deployment_id: id,
      per_page: 1,
    });
    const status = res.data[0];
    return status && { state: status.state, at: Date.parse(status.created_at) };
  }

  async status(
    id: number,
    state: 'queued' | 'in_progress' | 'success' | 'failure' | 'inactive',
    description: string,
  ): Promise<void> {
    await this.client.rest.repos.createDeploymentStatus({
      ...this.repo,
      deployment_id: id,
      state,
      description,
      auto_inactive: false,
    });
  }
}

export function payloadOf(d: Deployment): unknown {
  if (typeof d.payload !== 'string') return d.payload;
  try {
    return JSON.parse(d.payload);
  } catch {
    return undefined;
  }
}
