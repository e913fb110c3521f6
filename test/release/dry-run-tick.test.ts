import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { fraudPr } from '../support/fraud-pr.js';

// `dry-run: true` on a schedule tick: say what the tick would do, change no traffic, record nothing.

/** A PR moving fraud from v1 to v2, left analysing step 1 (10%) by a tick-mode job. */
async function analysing() {
  // Healthy numbers: a real tick would pass step 1 and give v2 50%.
  const world = await fraudPr();
  const { config, ports, target, clock, ledgerPath } = world;
  const event = world.event();
  const tickMode = { mode: 'tick' as const, maxWaitMs: 0, dryRun: false };
  await handlePullRequest(config, event, ports, tickMode);
  await handlePullRequest(config, event, ports, tickMode);
  expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
  clock.advance(20 * 60_000);
  return { config, ports, target, ledgerPath };
}

describe('a dry-run schedule tick', () => {
  it('says which release it would advance, and changes neither traffic nor the ledger', async () => {
    const { config, ports, target, ledgerPath } = await analysing();
    const writes = target.writes.length;
    const before = await readFile(ledgerPath, 'utf8');
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun: true });
    expect(result.releases).toEqual([]);
    expect(result.skipped).toEqual([
      {
        model: 'fraud',
        why: expect.stringMatching(/^would advance v2 \(PR #7\) by one pass \(analysing step 1/),
        kind: 'dry-run',
      },
    ]);
    expect(target.writes).toHaveLength(writes);
    expect(target.state).toEqual({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } });
    expect(await readFile(ledgerPath, 'utf8')).toBe(before);
  });

  it('without dry run, the same tick passes step 1 and gives v2 50%', async () => {
    const { config, ports, target } = await analysing();
    const result = await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 0, dryRun: false });
    expect(result.releases[0]).toMatchObject({ status: 'analysing', phase: 1 });
    expect(target.state.canary).toEqual({ version: 'v2', weight: 50 });
  });
});
