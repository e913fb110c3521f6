import { expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// PR #7 (fraud v1 → v2, on-merge: analyze-then-promote) merged with no release on record, so the
// merge job started v2's analysis itself; a schedule tick found the split served far from the
// configured 10% (20 candidate requests a second to stable's 90) and rolled v2 back. The comment
// said "then push a new commit (an empty one will do) to analyse again" of a merged PR, which no
// commit analyses again. Now it says what does.

it('a merge analysis ended on a sample ratio mismatch: the comment advises a new PR, not a new commit', async () => {
  const config = configOf(
    ['fraud'],
    '\n      - { name: split, kind: srm }\n    on-merge: analyze-then-promote',
  );
  const w = await twoModelsWorld();
  await w.prJob(config, 7, 'closed', true);
  w.clock.advance(20_000);
  const tick = await w.tick(config);
  const fraud = await w.file.release('fraud');
  expect(fraud).toMatchObject({
    to: 'v2',
    status: 'failed',
    ending: { splitMismatch: { units: 'requests' } },
  });
  expect(fraud?.mergedAt).toBeDefined();

  const comment = renderMarkdown(config, tick, { now: w.clock.now(), compact: false });
  expect(comment).toContain(
    '; check the traffic split the platform serves and how it routes (sticky keys, a routing header), and what the srm gate counts for each arm (its units or the requests query); the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets its version back to v1, then open one that declares v2 again\n',
  );
  expect(comment).not.toContain('push a new commit');
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
});
