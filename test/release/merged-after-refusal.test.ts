import { describe, expect, it } from 'vitest';
import type { TargetError } from '../../src/core/errors.js';
import { handlePullRequest, type RunResult } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { TargetAccessError, TargetRefusedError } from '../../src/targets/errors.js';
import { sha } from '../support/model-config.js';
import { configOf, FILES, prEvent, twoModelsWorld } from './two-models-world.js';

// PR #7 (fraud v1 → v2, on-merge: require-pass, the default): the platform refused v2's first
// traffic change, so v2 failed before any traffic, and the PR's report said to fix it "then push a
// new commit". Then the PR merged: the merge report kept that line, right above the merge's note
// "the PR is merged, so no new commit or reopening analyses it again", and so did the comment
// written from the record. Now, once merged, the release's line says what a merged PR can do.

const WHAT_WORKS =
  'the PR is merged, so no new commit or reopening analyses it again: to release v2, merge a PR that sets';
const REFUSED =
  'v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: ';

const refusals: [string, TargetError, string][] = [
  [
    'an unknown version',
    new TargetRefusedError('the platform refused: unknown model version v2 (HTTP 422)'),
    'correct the version (or the release config) the platform refused',
  ],
  [
    'credentials',
    new TargetAccessError('the platform refused: the token may not change traffic (HTTP 403)'),
    "fix the credentials or names the platform's answer points to",
  ],
];

/** The report's line of fraud's release (`- fraud v2 ...`), not the merge's note (`- fraud: ...`). */
const releaseLine = (report: string) => report.split('\n').find((l) => l.startsWith('- fraud v2 ')) ?? '';

describe('a PR whose first traffic change the platform refused, then merged (require-pass)', () => {
  for (const [what, refusal, fix] of refusals)
    it(`refused for ${what}: the merge report, and the comment from the record, advise no new commit`, async () => {
      const config = configOf(['fraud']);
      const w = await twoModelsWorld();
      w.platforms.fraud.write = async () => {
        throw refusal;
      };
      const render = (result: RunResult) =>
        renderMarkdown(config, result, { now: w.clock.now(), compact: false });

      const opened = render(await w.prJob(config, 7));
      // While the PR is open, a new commit is what analyses again.
      expect(releaseLine(opened)).toContain(`${REFUSED}${refusal.message}; `);
      expect(releaseLine(opened)).toMatch(
        /then push a new commit .*to analyse again; if the PR was closed, reopen it first$/,
      );

      const merged = await w.prJob(config, 7, 'closed', true);
      const report = render(merged);
      expect(merged.releases.map((r) => r.status)).toEqual(['failed']);
      const line = releaseLine(report);
      expect(line).toContain(`${REFUSED}${refusal.message}; `);
      expect(line).toContain(`${fix}; ${WHAT_WORKS}`);
      expect(report).not.toContain('push a new commit');
      expect(report).toContain('- fraud: v2 was not promoted: ');

      // The comment, written from the record as saved, says the same.
      const stored = (await w.file.release('fraud')) as Release;
      expect(stored.mergedAt).toBeDefined();
      const comment = render({ releases: [stored], skipped: merged.skipped });
      expect(releaseLine(comment)).toBe(line);
      expect(comment).not.toContain('push a new commit');
      expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });

      // A re-run of the merge job says the same, and changes nothing.
      const again = render(await w.prJob(config, 7, 'closed', true));
      expect(releaseLine(again)).toBe(line);
      expect(again).not.toContain('push a new commit');
    });
});

it("refused at one head, merged at a later one declaring v2 too: a re-run of that head's job names the merged PR, not the refused head", async () => {
  const config = configOf(['fraud']);
  const w = await twoModelsWorld();
  const write = w.platforms.fraud.write.bind(w.platforms.fraud);
  w.platforms.fraud.write = async () => {
    throw refusals[0]?.[1];
  };
  await w.prJob(config, 7);
  // A later head (a README fix outside the workflow's paths: no job ran) declares v2 too; the PR merges there.
  const later = sha(0x77);
  FILES[later] = FILES[sha(7)] as Record<string, string>;
  w.platforms.fraud.write = write;
  const once = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
  const merged = await handlePullRequest(
    config,
    { ...prEvent(7, 'closed', true), headSha: later },
    w.ports,
    once,
  );
  expect(merged.releases.map((r) => [r.status, r.headSha])).toEqual([['failed', sha(7)]]);

  // A re-run of that head's synchronize job, GitHub saying the PR was merged at it.
  const ports = { ...w.ports, pullRequestNow: async () => ({ state: 'merged' as const, headSha: later }) };
  const rerun = await handlePullRequest(
    config,
    { ...prEvent(7, 'synchronize'), headSha: later },
    ports,
    once,
  );
  const note = rerun.skipped.find((s) => s.model === 'fraud')?.why ?? '';
  expect(note).toMatch(
    /^PR #7 is merged: this run of its synchronize event at \w{7} starts no release of a merged PR; /,
  );
  expect(note).not.toContain(`merged at ${sha(7).slice(0, 7)}`);
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  delete FILES[later];
});
