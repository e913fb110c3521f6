import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as {
  name: string;
  examples: Record<string, unknown>[];
}[];

/**
 * A real pull_request payload from GitHub's published examples, with the SHAs of a
 * test repository in place of the example's. `merged` derives the merged `closed`
 * event that the examples lack.
 */
export function pullRequestEvent(
  action: 'opened' | 'synchronize' | 'reopened' | 'labeled' | 'closed',
  shas: { base: string; head: string },
  opts: { merged?: boolean; number?: number; fork?: boolean } = {},
): Record<string, unknown> {
  const pr = examples.find((e) => e.name === 'pull_request');
  const example = pr?.examples.find((e) => e.action === action);
  if (!example) throw new Error(`no pull_request.${action} example`);
  const event = structuredClone(example) as {
    pull_request: Record<string, unknown> & { base: { sha: string }; head: { sha: string } };
  };
  const p = event.pull_request;
  p.base.sha = shas.base;
  p.head.sha = shas.head;
  if (opts.number !== undefined) p.number = opts.number;
  if (opts.fork) {
    const head = p.head as unknown as { repo: { full_name: string; fork: boolean } };
    head.repo = { ...head.repo, full_name: 'a-stranger/Hello-World', fork: true };
  }
  if (action === 'closed') {
    p.state = 'closed';
    p.merged = opts.merged === true;
    p.merged_at = opts.merged ? '2026-11-28T12:00:00Z' : null;
    p.merged_by = opts.merged ? (p.user as unknown) : null;
  }
  return event;
}

/** A real workflow_dispatch payload from GitHub's published examples. */
export function workflowDispatchEvent(inputs: Record<string, string>): Record<string, unknown> {
  const example = examples.find((e) => e.name === 'workflow_dispatch')?.examples[0];
  if (!example) throw new Error('no workflow_dispatch example');
  return { ...structuredClone(example), inputs };
}

/**
 * A real push payload from GitHub's published examples (a branch push; the examples only
 * create or delete refs), with a test repository's SHAs as `before` and `after`.
 */
export function pushEvent(shas: { before: string; after: string }): Record<string, unknown> {
  const example = examples
    .find((e) => e.name === 'push')
    ?.examples.find((e) => e.ref === 'refs/heads/master');
  if (!example) throw new Error('no push example for a branch');
  const none = /^0+$/;
  return {
    ...structuredClone(example),
    before: shas.before,
    after: shas.after,
    created: none.test(shas.before),
    deleted: none.test(shas.after),
  };
}
