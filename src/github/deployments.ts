import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { type Clock, systemClock } from '../core/clock.js';
import { redactNotes } from '../core/redact.js';
import { type LedgerEntry, sameEntry } from '../ledger/ledger.js';
import { version } from '../ledger/release-schema.js';
import type { Release } from '../release/types.js';
import { type GitHubClient, isNotFound, retryDelayOf, SEND_ONCE, testWaitScale } from './client.js';
import type { Repo } from './repo-files.js';

/** Each model has its own environment, so the Deployments page is its audit trail. */
export const environmentOf = (model: string) => `model-gate/${model}`;
/** Promotions and rollbacks: what serves. */
const SERVE_TASK = 'deploy';
/** A candidate holding the model's canary slot (analysing, or ready and awaiting merge). */
export const CANARY_TASK = 'model-gate:canary';
/** The deployments that keep the drift of a version serving with no promotion or rollback on record (drift-status.ts). */
export const DRIFT_TASK = 'model-gate:drift';
/** How many of the newest drift deployments are read: one per version drifting at once, and a rival's. */
export const DRIFT_PAGE = 10;
/** Tries at creating a deployment GitHub refuses for now (a server error, a rate limit): the client's 1 + 3. */
const CREATE_ATTEMPTS = 4;
/** How many of the newest promotions and rollbacks make the model's history. */
const HISTORY_SIZE = 30;
/**
 * How many pages of deployments of task `deploy` are read at most in search of model-gate's
 * promotions and rollbacks: another tool's deployments there (a job's `environment:
 * model-gate/<model>` makes one per run) are skipped, but never read without end.
 */
const SERVED_PAGES = 3;
const SERVED_PAGE_SIZE = 100;
/** How many of the newest deployments of its task are searched for one made but answered with an error. */
const MADE_SEARCH = 10;
/** How many of the newest promotions and rollbacks are read, after making one, for a rival's twin of it. */
const RIVAL_SEARCH = 5;
/** How many claims on a head are read at a time (one per analysis of the head) in search of a release's. */
const CLAIMS_OF_HEAD = 10;
/**
 * How long the promotions and rollbacks `history` read stay good for `serving`: the same tick's drift
 * record (a look at the metrics later), not a watch-mode job's next tick.
 */
const SERVED_READ_MS = 30_000;

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

/**
 * A claim of a model's canary slot: its deployment, when it was made (ms), PR and versions; as the
 * holder of the slot, also its newest status's description (`note`: a mark of its record missing).
 */
export type CanaryClaim = { id: number; at: number; note?: string } & z.output<typeof canaryPayload>;

/** What a deployment made by `create` says: its commit, task, payload and description. */
export interface NewDeployment {
  ref: string;
  task: string;
  payload: Record<string, unknown>;
  description: string;
}

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
    /** Waits between tries at a deployment GitHub refused for now. */
    private readonly clock: Clock = systemClock,
    /** This workflow run: the log of every status it sets, the Deployments page's "View logs" link. */
    private readonly runUrl?: string,
    /** Where what the log should hear of goes (GitHubLedger.problems): a search for the history cut short. */
    private readonly problems: string[] = [],
  ) {}

  /**
   * Per model, the promotions and rollbacks `history` last read and when (`complete`: none older
   * is on record): `serving` takes them rather than list them again (a drift-watch tick reads
   * both). Any write through this class forgets them all. Canary claims are never kept: their
   * freshness guards the slot.
   */
  private readonly served = new Map<string, { at: number; list: Deployment[]; complete: boolean }>();

  /** Promotions and rollbacks of the model, oldest first; always read anew. */
  async history(model: string): Promise<LedgerEntry[]> {
    const read = await this.servedList(model, HISTORY_SIZE);
    this.served.set(model, { at: this.clock.now(), ...read });
    return read.list.flatMap((d) => entryOf(model, d) ?? []).reverse();
  }

  /**
   * Whether `version` served the model (a promotion's or rollback's version, or the one it replaced)
   * in a deployment older than those `history` reads: only where its last read of the model did not
   * reach the oldest (HISTORY_SIZE found, or its search cut short), or there was none, are the older
   * pages read, until one names it.
   */
  async servedEarlier(model: string, version: string): Promise<boolean> {
    const read = this.served.get(model);
    if (read?.complete) return false;
    const pages = this.client.paginate.iterator(this.client.rest.repos.listDeployments, {
      ...this.repo,
      environment: environmentOf(model),
      task: SERVE_TASK,
      per_page: 100,
    });
    for await (const { data } of pages) {
      const entries = data.flatMap((d) => entryOf(model, d) ?? []);
      if (entries.some((e) => e.version === version || e.previous === version)) return true;
    }
    return false;
  }

  /**
   * A deployment per promotion or rollback, marked successful; the one it replaces becomes
   * inactive. One the newest deployment records already (sameEntry: a re-run's) is not made twice,
   * but finished where its writing stopped half way (finish), nor a rollback another run made at
   * the same moment (repeatsRival): the older of the two stays.
   */
  async record(entry: LedgerEntry): Promise<void> {
    // The two newest in the one read: a re-run's entry, on record already, and the one it replaced.
    const [previous, before] = (await this.servedList(entry.model, 2)).list;
    const newest = previous && entryOf(entry.model, previous);
    if (newest && sameEntry(newest, entry)) {
      await this.complete(entry, previous, before);
      return;
    }
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
    // Only a rollback: dispatch runs start at once, each in a concurrency group of its own, where a
    // promotion ends a release one run drives at a time (its watch lease), so it costs that no read.
    // Best effort: the step is on record either way, and a refusal here must not fail a rollback
    // that took (the run would say nothing was recorded); a refused look leaves the twin, as before.
    const twin =
      entry.kind === 'rollback' && (await this.repeatsRival(entry, id, previous).catch(() => false));
    if (twin) {
      // The rival's run ends the deployment replaced and the drift marks.
      await this.remove(id, 'recorded by another run at the same moment').catch(() => {});
      return;
    }
    await this.retire(entry, previous, previous && (await this.latestState(previous.id)));
  }

  /**
   * Completes the model's newest promotion or rollback where it records `entry` (sameEntry) and its
   * writing stopped half way (GitHub refused a status, the run stopped): its deployment made with no
   * status, which `history` and `serving` count as serving all the same while the Deployments page
   * shows none, or the one it replaced still marked serving. Returns whether it wrote anything
   * (`dryRun`: whether it would, writing nothing).
   */
  async finish(entry: LedgerEntry, opts: { dryRun?: boolean } = {}): Promise<boolean> {
    const [newest, previous] = (await this.servedList(entry.model, 2)).list;
    const recorded = newest && entryOf(entry.model, newest);
    if (!newest || !recorded || !sameEntry(recorded, entry)) return false;
    return this.complete(entry, newest, previous, opts);
  }

  /** finish, `newest` recording `entry`, `previous` the deployment before it. */
  private async complete(
    entry: LedgerEntry,
    newest: Deployment,
    previous: Deployment | undefined,
    opts: { dryRun?: boolean } = {},
  ): Promise<boolean> {
    const own = await this.latestState(newest.id);
    const replaced = previous && (await this.latestState(previous.id));
    if (own !== undefined && !servesStill(replaced)) return false;
    if (opts.dryRun) return true;
    if (own === undefined) await this.status(newest.id, 'success', entry.summary);
    await this.retire(entry, previous, replaced);
    return true;
  }

  /**
   * What follows the deployment of `entry`: `previous`, the one it replaced (its newest status
   * `replaced`), becomes inactive, and the drift marks go.
   */
  private async retire(
    entry: LedgerEntry,
    previous: Deployment | undefined,
    replaced: string | undefined,
  ): Promise<void> {
    if (previous && servesStill(replaced)) {
      await this.status(previous.id, 'inactive', `replaced by ${entry.version}`);
    }
    // The drift of a version that served with no record ends with its serving: left, it would read
    // as an old drift (no new alert) when that version came back and drifted again.
    for (const mark of await this.list(entry.model, DRIFT_TASK, DRIFT_PAGE)) {
      await this.remove(mark.id, `replaced by ${entry.version}`);
    }
  }

  /**
   * Whether deployment `id`, just made for `entry`, repeats one another run made for the same step
   * at the same moment (two rollbacks dispatched together both read `previous` as the newest): the
   * deployment just before it was made since that read and records the same change of version.
   * The same change further back (rolled back, promoted again, rolled back again) is a step of its own.
   */
  private async repeatsRival(
    entry: LedgerEntry,
    id: number,
    previous: Deployment | undefined,
  ): Promise<boolean> {
    const list = (await this.list(entry.model, SERVE_TASK, RIVAL_SEARCH)).filter((d) =>
      entryOf(entry.model, d),
    );
    const ours = list.findIndex((d) => d.id === id);
    const before = ours < 0 ? undefined : list[ours + 1];
    if (!before || (previous !== undefined && before.id <= previous.id)) return false;
    const rival = entryOf(entry.model, before);
    return (
      rival !== undefined &&
      rival.kind === entry.kind &&
      rival.version === entry.version &&
      rival.previous === entry.previous
    );
  }

  /**
   * The newest promotion or rollback of the model to `version` (the version serving now). None
   * among those history reads when the platform was changed outside model-gate.
   */
  async serving(model: string, version: string): Promise<Deployment | undefined> {
    const read = this.served.get(model);
    const fresh = read && this.clock.now() - read.at < SERVED_READ_MS ? read.list : undefined;
    const list = fresh ?? (await this.servedList(model, HISTORY_SIZE)).list;
    return list.find((d) => entryOf(model, d)?.version === version);
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
    const holder = await this.holderAmong(before);
    if (holder && holder.pr !== release.pr) {
      if (await stands(holder)) return { heldBy: holder };
      await this.status(holder.id, 'inactive', 'left over: no live release holds it');
    }
    if (holder && holder.pr === release.pr) {
      if (holder.to === release.to && holder.head === release.headSha) return { id: holder.id };
      // This PR's claim for another version or head (its end refused by GitHub, say): left in
      // progress, the Deployments page would show it analysing. Best effort: a refusal must not
      // keep the new candidate out, and the next claim of the slot tries again (endReplaced).
      await this.status(holder.id, 'inactive', `replaced by ${release.to}`).catch(() => {});
    }
    await this.endReplaced(before).catch(() => {});
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

  /**
   * End the claims among `list` still in progress that a newer claim of their PR replaced: their
   * end refused twice (when their release ended, and when the newer claim was made), they no longer
   * hold the slot (holderAmong) but the Deployments page would still show them analysing.
   */
  private async endReplaced(list: Deployment[]): Promise<void> {
    for (const { claim, replacedBy } of claimsIn(list)) {
      if (!replacedBy) continue;
      const state = await this.latestState(claim.id);
      if (held(state)) await this.status(claim.id, 'inactive', `replaced by ${replacedBy.to}`);
    }
  }

  /**
   * Whether the claim of the canary slot that `release`'s analysis made is on record and still held
   * (in progress: a ready release keeps it until its merge or close): a claim by `ours` (this
   * token) for the same PR, version and head. The newest such claim decides (a head analysed again
   * claims again).
   */
  async claimHeld(
    release: Release,
    ours: (creator: Deployment['creator']) => Promise<boolean>,
  ): Promise<boolean> {
    const claim = await this.claimOf(release, ours);
    return claim !== undefined && held(await this.latestState(claim.id));
  }

  /**
   * Whether the canary claim the release's record names (`canaryDeployment`) is on record, in any
   * state: made by `ours` (this token) for the release's PR, versions (`from` and `to`) and head. A
   * release's analysis claims the slot before its candidate gets any traffic, and its record names
   * that claim from then on: a PR comment's record of a withdrawal or a failure naming none did not
   * come from model-gate's analysis, nor one naming a claim made after it was written (a
   * look-alike posted before model-gate's first run, whose claim it cannot know).
   */
  async claimMade(
    release: Release,
    ours: (creator: Deployment['creator']) => Promise<boolean>,
  ): Promise<boolean> {
    const id = release.canaryDeployment;
    if (id === undefined) return false;
    return (
      (await this.claimOf(release, ours, (d, from) => d.id === id && from === release.from)) !== undefined
    );
  }

  /**
   * The newest claim by `ours` for `release`'s PR, version and head (and `also`, given its `from`).
   * The head's claims are read newest first, a page at a time until one is found: a head analysed
   * more often than a page holds has the claim a record names (a pending withdrawal's) further on.
   */
  private async claimOf(
    release: Release,
    ours: (creator: Deployment['creator']) => Promise<boolean>,
    also: (d: Deployment, from: string) => boolean = () => true,
  ): Promise<Deployment | undefined> {
    if (release.pr === undefined || release.headSha === undefined) return undefined;
    const pages = this.client.paginate.iterator(this.client.rest.repos.listDeployments, {
      ...this.repo,
      environment: environmentOf(release.model),
      task: CANARY_TASK,
      sha: release.headSha,
      per_page: CLAIMS_OF_HEAD,
    });
    for await (const { data } of pages) {
      for (const d of data) {
        const claim = canaryPayload.safeParse(payloadOf(d));
        if (!claim.success) continue;
        const { pr, from, to, head } = claim.data;
        if (pr !== release.pr || to !== release.to || head !== release.headSha || !also(d, from)) continue;
        if (await ours(d.creator)) return d;
      }
    }
    return undefined;
  }

  /**
   * How the canary claim `id` ended: its newest status, once it is neither in progress nor queued
   * (statuses are only ever added, so no later write undoes an end); undefined while it is held. A
   * claim deleted has ended too: GitHub deletes only inactive deployments.
   */
  async claimEnd(id: number): Promise<{ state: string } | undefined> {
    let state: string | undefined;
    try {
      state = await this.latestState(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return { state: 'deleted' };
    }
    return state === undefined || held(state) ? undefined : { state };
  }

  /** The newest promotion or rollback of the model, if any: one request (servedList: more past another tool's deployments). */
  async newestEntry(model: string): Promise<LedgerEntry | undefined> {
    const [newest] = (await this.servedList(model, 1)).list;
    return newest && entryOf(model, newest);
  }

  /** The PR and versions of the release holding the model's canary slot, if any. */
  async canaryHolder(model: string): Promise<CanaryClaim | undefined> {
    return this.holderAmong(await this.list(model, CANARY_TASK, 5));
  }

  /**
   * The newest claim in progress among `claims` (`fresh`: also one with no status yet), with its
   * newest status's description. A claim its PR made again since (a new head or version) is not: a
   * PR has one release of a model at a time, and its newest claim speaks for it, even when GitHub
   * refused to end the older one.
   */
  private async holderAmong(claims: Deployment[], fresh = false): Promise<CanaryClaim | undefined> {
    for (const { claim, replacedBy } of claimsIn(claims)) {
      if (replacedBy) continue;
      const status = await this.latestStatus(claim.id);
      if (held(status?.state) || (fresh && status === undefined))
        return { ...claim, note: status?.description };
    }
    return undefined;
  }

  /**
   * A deployment in the model's environment; returns its id. Sent once each try: GitHub may make
   * it and still answer a server error (or the answer may time out), so before trying again the
   * newest deployments are searched for it, and one found is taken instead of making a second.
   */
  async create(model: string, d: NewDeployment): Promise<number> {
    let maybeMade = false;
    for (let attempt = 0; ; attempt++) {
      try {
        if (maybeMade) {
          const made = await this.madeAlready(model, d);
          if (made !== undefined) return made;
        }
        this.served.clear();
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
          ...SEND_ONCE,
        });
        return (created.data as { id: number }).id;
      } catch (error) {
        // Octokit gives a timeout or a lost connection status 500 too.
        if (((error as { status?: number }).status ?? 0) >= 500) maybeMade = true;
        const wait =
          attempt + 1 < CREATE_ATTEMPTS ? retryDelayOf(error, attempt, this.clock.now()) : undefined;
        if (wait === undefined) throw error;
        await this.clock.sleep(wait * testWaitScale());
      }
    }
  }

  /**
   * The deployment `d` made by an earlier try whose answer was an error: among the newest of its
   * task, one on the same ref with the same payload (as GitHub stores it: free text redacted) and
   * no status yet (each made by this class gets one as soon as it is answered).
   */
  private async madeAlready(model: string, d: NewDeployment): Promise<number | undefined> {
    const res = await this.client.rest.repos.listDeployments({
      ...this.repo,
      environment: environmentOf(model),
      task: d.task,
      per_page: MADE_SEARCH,
      ...SEND_ONCE,
    });
    const payload = JSON.parse(JSON.stringify(redactNotes(d.payload)));
    for (const found of res.data) {
      if (found.ref !== d.ref || !isDeepStrictEqual(payloadOf(found), payload)) continue;
      if ((await this.latestState(found.id)) === undefined) return found.id;
    }
    return undefined;
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

  /**
   * The newest `wanted` promotions and rollbacks of the model, newest first: its deployments of task
   * `deploy` whose payload parses (entryOf). One read of `wanted` finds them but where another
   * tool deploys to the environment too: its deployments are skipped, in pages of 100 from the
   * newest, SERVED_PAGES at most; none found in all those is noted (`problems`). `complete`: fewer
   * were found and none older is on record.
   */
  private async servedList(
    model: string,
    wanted: number,
  ): Promise<{ list: Deployment[]; complete: boolean }> {
    const first = await this.list(model, SERVE_TASK, wanted);
    const ours = first.filter((d) => entryOf(model, d));
    if (ours.length === wanted || first.length < wanted)
      return { list: ours, complete: first.length < wanted };
    const pages = this.client.paginate.iterator(this.client.rest.repos.listDeployments, {
      ...this.repo,
      environment: environmentOf(model),
      task: SERVE_TASK,
      per_page: SERVED_PAGE_SIZE,
    });
    const list: Deployment[] = [];
    let read = 0;
    for await (const { data } of pages) {
      read += data.length;
      for (const d of data) {
        if (!entryOf(model, d)) continue;
        list.push(d);
        if (list.length === wanted) return { list, complete: false };
      }
      if (read >= SERVED_PAGES * SERVED_PAGE_SIZE) {
        if (list.length === 0) this.noteNoneAmong(model, read);
        return { list, complete: false };
      }
    }
    return { list, complete: true };
  }

  /** Models whose search for a promotion or rollback found none among another tool's deployments: said once a run. */
  private readonly noneFound = new Set<string>();

  private noteNoneAmong(model: string, read: number): void {
    if (this.noneFound.has(model)) return;
    this.noneFound.add(model);
    const env = environmentOf(model);
    this.problems.push(
      `the newest ${read} deployments (task ${SERVE_TASK}) in environment ${env} are none of model-gate's promotions or rollbacks of ${model}: another tool deploys there (a job's \`environment: ${env}\`?), and model-gate reads no further, so it knows no version that served ${model}; give that job an environment of its own`,
    );
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

  /** The deployment's newest status: its state, when it was set (ms) and its description. */
  async latestStatus(id: number): Promise<{ state: string; at: number; description: string } | undefined> {
    const res = await this.client.rest.repos.listDeploymentStatuses({
      ...this.repo,
      deployment_id: id,
      per_page: 1,
    });
    const status = res.data[0];
    return (
      status && {
        state: status.state,
        at: Date.parse(status.created_at),
        description: status.description ?? '',
      }
    );
  }

  async status(
    id: number,
    state: 'queued' | 'in_progress' | 'success' | 'failure' | 'inactive',
    description: string,
    /** The run that set it, shown as the status's log on the Deployments page; by default this one. */
    logUrl: string | undefined = this.runUrl,
  ): Promise<void> {
    this.served.clear();
    await this.client.rest.repos.createDeploymentStatus({
      ...this.repo,
      deployment_id: id,
      state,
      description,
      ...(logUrl === undefined ? {} : { log_url: logUrl }),
      auto_inactive: false,
    });
  }
}

/**
 * The claims among `list` (newest first) whose payload parses, each with the newer claim of its
 * PR in `list` that replaced it, if any.
 */
function claimsIn(list: Deployment[]): { claim: CanaryClaim; replacedBy?: CanaryClaim }[] {
  const newest = new Map<number, CanaryClaim>();
  return list.flatMap((d) => {
    const p = canaryPayload.safeParse(payloadOf(d));
    if (!p.success) return [];
    const claim: CanaryClaim = { id: d.id, at: Date.parse(d.created_at), ...p.data };
    if (claim.pr === undefined) return [{ claim }];
    const replacedBy = newest.get(claim.pr);
    if (replacedBy && replacedBy.id > claim.id) return [{ claim, replacedBy }];
    newest.set(claim.pr, claim);
    return [{ claim }];
  });
}

/** The promotion or rollback of `model` the deployment `d` records; undefined when its payload breaks the rules. */
function entryOf(model: string, d: Deployment): LedgerEntry | undefined {
  const p = servePayload.safeParse(payloadOf(d));
  return p.success ? { model, ...p.data, at: Date.parse(d.created_at) } : undefined;
}

/**
 * Whether a promotion or rollback whose newest status is `state` is still marked serving: `success`,
 * or `failure`, a drift alert on it (drift-status.ts), which ends with its serving.
 */
const servesStill = (state: string | undefined): boolean => state === 'success' || state === 'failure';

/** Whether a canary claim whose newest status is `state` still holds the slot: in progress or queued. */
const held = (state: string | undefined): boolean => state === 'in_progress' || state === 'queued';

export function payloadOf(d: Deployment): unknown {
  if (typeof d.payload !== 'string') return d.payload;
  try {
    return JSON.parse(d.payload);
  } catch {
    return undefined;
  }
}
