import { expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { TargetRefusedError } from '../../src/targets/errors.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// PR #7 (fraud v1 → v2, on-merge: analyze-then-promote) merged with no release on record, so the
// merge job started v2's analysis itself; the platform refused its first traffic change (no v2
// there). The merged PR's comment said "correct the version ..., then push a new commit to analyse
// again" right above the merge's note "the PR is merged, so no new commit or reopening analyses it
// again". Now both say what a merged PR can do.

const WHAT_WORKS = (file: string) =>
  `the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets ${file} back to v1, then open one that declares v2 again`;

it('the merge analysis refused at its first traffic change: the comment advises a new PR, not a new commit', async () => {
  const config = configOf(['fraud'], '\n    on-merge: analyze-then-promote');
  const w = await twoModelsWorld();
  w.platforms.fraud.write = async () => {
    throw new TargetRefusedError('the platform refused: unknown model version v2 (HTTP 422)');
  };

  const merged = await w.prJob(config, 7, 'closed', true);
  const fraud = await w.file.release('fraud');
  expect(fraud).toMatchObject({ to: 'v2', status: 'failed', ending: { firstChangeRefused: 'request' } });
  expect(fraud?.mergedAt).toBeDefined();

  const comment = renderMarkdown(config, merged, { now: w.clock.now(), compact: false });
  const refused =
    'v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: the platform refused: unknown model version v2 (HTTP 422)';
  // The release's line, then the merge's note: neither advises a commit.
  expect(comment).toContain(
    `- fraud ${refused}; the same request gets the same answer: correct the version (or the release config) the platform refused; ${WHAT_WORKS('its version')}\n- fraud: v2 was not promoted: ${refused}; ${WHAT_WORKS('fraud.yaml')}\n`,
  );
  expect(comment).not.toContain('push a new commit');
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
});
