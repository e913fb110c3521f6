import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InputError } from '../core/errors.js';
import type { PullRequestEvent } from '../release/pull-request.js';

const repoRef = z.object({ full_name: z.string() }).nullish();
const pullRequestPayload = z.object({
  action: z.string(),
  pull_request: z.object({
    number: z.number().int(),
    merged: z.boolean().nullish(),
    base: z.object({ sha: z.string(), repo: repoRef }),
    head: z.object({ sha: z.string(), repo: repoRef }),
  }),
});

const pushPayload = z.object({ before: z.string(), after: z.string() });
const dispatchInputs = z.object({ inputs: z.object({ command: z.string() }) });
/**
 * Who ran the dispatch, named in the reports and the ledger: a GitHub login (letters, digits,
 * hyphens) or an App's (`name[bot]`). Anything else is not trusted into Markdown or a mention.
 */
const dispatchSender = z.object({
  sender: z.object({ login: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$/) }),
});

/** The event that started the job, as the engine needs it. */
export type ActionEvent =
  | {
      kind: 'pull_request';
      pr: PullRequestEvent;
      fromFork: boolean;
      /** On `pull_request`, GitHub gives a fork's run a read-only token; on `pull_request_target`, the base's. */
      trigger: 'pull_request' | 'pull_request_target';
    }
  /**
   * `command`: the dispatch's own `command` input, as the README's workflow names it, if any;
   * `actor`: the login of who ran it (the payload's `sender`), if a valid one.
   */
  | { kind: 'dispatch'; command?: string; actor?: string }
  | { kind: 'schedule' }
  /** Only `command: plan` runs on a push: the commits before and after it. */
  | { kind: 'push'; before: string; after: string };

export async function readEvent(env: NodeJS.ProcessEnv): Promise<ActionEvent> {
  const name = env.GITHUB_EVENT_NAME;
  if (name === 'workflow_dispatch') return { kind: 'dispatch', ...(await dispatchDetails(env)) };
  if (name === 'schedule') return { kind: 'schedule' };
  if (name !== 'pull_request' && name !== 'pull_request_target' && name !== 'push') {
    throw new InputError(
      `event ${name ?? '(none)'} is not handled: run model-gate on pull_request, workflow_dispatch or schedule (or push, for command plan)`,
    );
  }
  const path = env.GITHUB_EVENT_PATH;
  if (!path) throw new InputError('GITHUB_EVENT_PATH is not set: is this running inside GitHub Actions?');
  const payload: unknown = JSON.parse(await readFile(path, 'utf8'));
  if (name === 'push') {
    const push = pushPayload.safeParse(payload);
    if (!push.success) throw new InputError('the push event payload has no before and after SHAs');
    return { kind: 'push', before: push.data.before, after: push.data.after };
  }
  const parsed = pullRequestPayload.safeParse(payload);
  if (!parsed.success)
    throw new InputError(`the ${name} event payload has no pull_request with base and head SHAs`);
  const { action, pull_request: pr } = parsed.data;
  // A head repository that is not the base one (or was deleted) is a fork.
  const fromFork = pr.head.repo?.full_name !== pr.base.repo?.full_name || !pr.head.repo;
  return {
    kind: 'pull_request',
    pr: { action, number: pr.number, baseSha: pr.base.sha, headSha: pr.head.sha, merged: pr.merged === true },
    fromFork,
    trigger: name,
  };
}

const mergeGroupPayload = z.object({
  merge_group: z.object({ head_sha: z.string(), head_ref: z.string().nullish() }),
});
/**
 * The ref GitHub's merge queue tests a PR on: `refs/heads/gh-readonly-queue/<base>/pr-<number>-<sha>`,
 * the base branch possibly holding slashes (release/1.x), the PR's head a SHA-1 or SHA-256.
 */
const QUEUE_REF = /^refs\/heads\/gh-readonly-queue\/.+\/pr-([1-9][0-9]{0,9})-(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** A `merge_group` event (GitHub's merge queue): the commit it tests and, where its ref names it, the PR. */
export interface MergeGroupEvent {
  headSha?: string;
  pr?: number;
}

/**
 * The `merge_group` event that started the job, or undefined on any other event. GitHub's docs
 * have a workflow whose checks the queue requires list `merge_group` in `on:`, so model-gate is
 * run on it; it has nothing to do there (mergeGroupNotice), so a payload it cannot read is no
 * failure: its commit and PR are left out.
 */
export async function readMergeGroup(env: NodeJS.ProcessEnv): Promise<MergeGroupEvent | undefined> {
  if (env.GITHUB_EVENT_NAME !== 'merge_group') return undefined;
  const path = env.GITHUB_EVENT_PATH;
  const text = path ? await readFile(path, 'utf8').catch(() => '{}') : '{}';
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    return {};
  }
  const parsed = mergeGroupPayload.safeParse(payload);
  if (!parsed.success) return {};
  const { head_sha: headSha, head_ref: ref } = parsed.data.merge_group;
  const pr = QUEUE_REF.exec(ref ?? '')?.[1];
  return { headSha, ...(pr ? { pr: Number(pr) } : {}) };
}

/**
 * What a merge_group run says (a notice; decision `skipped`, the step passes): a failing queue
 * check would hold every PR in the queue. The release was analysed on the PR and is promoted by
 * the merge's `pull_request` closed event; nothing is set on the queue's commit.
 */
export const mergeGroupNotice = (group: MergeGroupEvent): string =>
  `merge_group${group.pr === undefined ? '' : ` (PR #${group.pr})`}: nothing to do in the merge queue: model-gate analyses a model's release on the PR's pull_request events and promotes it on the merge's pull_request closed event; it sets no model-gate/<model> status on the queue's commit (docs/branch-protection.md)`;

/**
 * The dispatch's `command` input, which a plan job (given `command: plan`) reads from the payload,
 * and who ran it. Either missing or malformed is left out: the run words it as before.
 */
async function dispatchDetails(env: NodeJS.ProcessEnv): Promise<{ command?: string; actor?: string }> {
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return {};
  const payload: unknown = JSON.parse(await readFile(path, 'utf8').catch(() => '{}'));
  const inputs = dispatchInputs.safeParse(payload);
  const sender = dispatchSender.safeParse(payload);
  return {
    ...(inputs.success ? { command: inputs.data.inputs.command } : {}),
    ...(sender.success ? { actor: sender.data.sender.login } : {}),
  };
}
