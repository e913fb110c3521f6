import { mkdtemp, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { mergeGroupNotice, readMergeGroup } from '../../src/action/event.js';
import { pullRequestEvent } from '../support/payloads.js';

// GitHub's docs have a workflow whose checks a merge queue requires list `merge_group` in `on:`.
// Run on GitHub's real merge_group payload, model-gate failed the queue's check ("event
// merge_group is not handled"), holding every PR in the queue. It now reads the event as one it
// has nothing to do on: the queue's commit and, from the queue's ref, the PR.
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: { merge_group: { head_ref: string } }[];
}[];
const example = examples.find((e) => e.name === 'merge_group')?.examples[0];

async function envWith(eventName: string, payload: unknown): Promise<NodeJS.ProcessEnv> {
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-merge-group-')), 'event.json');
  await writeFile(path, typeof payload === 'string' ? payload : JSON.stringify(payload));
  return { GITHUB_EVENT_NAME: eventName, GITHUB_EVENT_PATH: path };
}

const withRef = (ref: string) => ({ ...example, merge_group: { ...example?.merge_group, head_ref: ref } });

it("reads GitHub's merge_group payload: the queue's commit, and the PR its ref names", async () => {
  const group = await readMergeGroup(await envWith('merge_group', example));
  expect(group).toEqual({ headSha: '2ffea6db159f6b6c47a24e778fb9ef40cf6b1c7d', pr: 104 });
  expect(mergeGroupNotice(group ?? {})).toMatch(
    /^merge_group \(PR #104\): nothing to do in the merge queue: model-gate analyses .* on the PR's pull_request events and promotes it on the merge's pull_request closed event/,
  );
});

it('takes the PR from a queue ref whose base branch holds slashes, and none from another ref', async () => {
  const sha = 'a'.repeat(40);
  const read = async (ref: string) => (await readMergeGroup(await envWith('merge_group', withRef(ref))))?.pr;
  expect(await read(`refs/heads/gh-readonly-queue/release/1.x/pr-7-${sha}`)).toBe(7);
  expect(await read(`refs/heads/gh-readonly-queue/main/pr-7-${'b'.repeat(64)}`)).toBe(7);
  expect(await read('refs/heads/main')).toBeUndefined();
  expect(await read(`refs/heads/gh-readonly-queue/main/pr-07-${sha}`)).toBeUndefined();
  expect(await read(`refs/heads/gh-readonly-queue/main/pr-7-${sha}x`)).toBeUndefined();
  expect(await read(`refs/heads/gh-readonly-queue/pr-7-${sha}`)).toBeUndefined();
});

it('a payload it cannot read is still a merge_group, with no commit or PR; other events are not', async () => {
  expect(await readMergeGroup(await envWith('merge_group', 'not json'))).toEqual({});
  expect(await readMergeGroup(await envWith('merge_group', { action: 'checks_requested' }))).toEqual({});
  expect(mergeGroupNotice({})).toMatch(/^merge_group: nothing to do in the merge queue/);
  const pr = pullRequestEvent('opened', { base: 'a'.repeat(40), head: 'b'.repeat(40) });
  expect(await readMergeGroup(await envWith('pull_request', pr))).toBeUndefined();
});
