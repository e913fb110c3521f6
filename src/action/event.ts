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

/** The event that started the job, as the engine needs it. */
export type ActionEvent =
  | { kind: 'pull_request'; pr: PullRequestEvent; fromFork: boolean }
  | { kind: 'dispatch' }
  | { kind: 'schedule' };

export async function readEvent(env: NodeJS.ProcessEnv): Promise<ActionEvent> {
  const name = env.GITHUB_EVENT_NAME;
  if (name === 'workflow_dispatch') return { kind: 'dispatch' };
  if (name === 'schedule') return { kind: 'schedule' };
  if (name !== 'pull_request' && name !== 'pull_request_target') {
    throw new InputError(
      `event ${name ?? '(none)'} is not handled: run model-gate on pull_request, workflow_dispatch or schedule`,
    );
  }
  const path = env.GITHUB_EVENT_PATH;
  if (!path) throw new InputError('GITHUB_EVENT_PATH is not set: is this running inside GitHub Actions?');
  const parsed = pullRequestPayload.safeParse(JSON.parse(await readFile(path, 'utf8')));
  if (!parsed.success)
    throw new InputError(`the ${name} event payload has no pull_request with base and head SHAs`);
  const { action, pull_request: pr } = parsed.data;
  // A head repository that is not the base one (or was deleted) is a fork.
  const fromFork = pr.head.repo?.full_name !== pr.base.repo?.full_name || !pr.head.repo;
  return {
    kind: 'pull_request',
    pr: { action, number: pr.number, baseSha: pr.base.sha, headSha: pr.head.sha, merged: pr.merged === true },
    fromFork,
  };
}
