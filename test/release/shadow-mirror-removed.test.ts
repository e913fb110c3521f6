import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { shadowing, tickMode } from './shadow-world.js';

// A shadow's candidate never has live traffic, only a mirror of requests. Its mirror removed outside
// model-gate, the release was aborted saying v2 "had no live traffic"; passed, its mirror removed
// by model-gate, its reason said it "is no longer mirrored until the PR is merged", as if the merge
// mirrored it again. Both now say what happened to the mirror, and what the merge does.

describe('a shadow whose mirror is removed', () => {
  it('outside model-gate, the release ends saying v2 was no longer mirrored', async () => {
    const { w } = await shadowing();
    w.target.state = { stable: { version: 'v1' } };
    w.clock.advance(5 * 60_000);
    const result = await handleSchedule(w.config, w.ports, tickMode);
    expect(w.target.state).toEqual({ stable: { version: 'v1' } });
    const release = await w.ledger.release('fraud');
    expect(release?.status).toBe('aborted');
    const said =
      'v2 was no longer mirrored when this run went to resume shadow 30% of requests (v1 alone served): ';
    expect(release?.reason).toMatch(new RegExp(`^${said.replace(/[()%]/g, '\\$&')}`));
    const report = renderMarkdown(w.config, result, { now: w.clock.now() });
    expect(report).toContain(`- fraud v2 was withdrawn: ${said}`);
    expect(report).not.toContain('no live traffic when');
  });

  it('by model-gate once the shadow passed, its reason says the merge promotes v2 to all live traffic', async () => {
    const { w } = await shadowing();
    for (let i = 0; i < 20 && (await w.ledger.release('fraud'))?.status === 'analysing'; i++) {
      w.clock.advance(5 * 60_000);
      await handleSchedule(w.config, w.ports, tickMode);
    }
    const release = await w.ledger.release('fraud');
    expect(release?.status).toBe('ready');
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, mirror: { version: 'v2', share: 0 } });
    expect(release?.reason).toBe(
      'v2 passed its one phase; it is no longer mirrored; merging the PR promotes it to all live traffic, and it serves none until the PR is merged',
    );

    await handlePullRequest(w.config, w.event('closed', true), w.ports, tickMode);
    expect((await w.ledger.release('fraud'))?.status).toBe('promoted');
    expect(w.target.state).toEqual({ stable: { version: 'v2' } });
  });
});
