import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config, ModelConfig } from '../../src/config/types.js';
import { TargetError } from '../../src/core/errors.js';
import type { TrafficState } from '../../src/core/traffic.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { PROMOTION_GRACE_MS } from '../../src/release/merged-ready.js';
import { handleSchedule } from '../../src/release/schedule.js';
import type { Release } from '../../src/release/types.js';
import type { Target } from '../../src/targets/target.js';
import { MODEL, once, raceJobs, STORES, useRaceWorld } from '../support/race-world.js';

// on-merge: analyze-then-promote. A schedule tick passes the merged PR's v2 and reads its record
// again before promoting it. Right before that read, a re-run of the merge job tries the promotion
// and the platform refuses it: that job saves the same release, still ready, saying the next tick
// tries again. The tick took that record for another run's ending and left v2 on its last step's
// traffic, unpromoted until a tick after the 10-minute grace (a GitHub ledger's tick saw no change
// to a record it saved itself: that one promoted). Also a tick trying again a refused promotion. The platform is a real sandbox; the
// ledger a PR comment on a GitHub stand-in, or a ledger file.
const world = useRaceWorld({ firstPr: 960, firstRunId: 9600, closePr: (closed) => prJob(closed, 'tick') });
const { job, prJob, scheduleTick } = raceJobs(world, () => config, true);
let config: Config;
beforeAll(() => {
  config = world.configWith('[10]', { onMerge: 'analyze-then-promote' });
});

const isPromotion = (d: TrafficState) => d.stable.version === 'v2' && !d.canary;

/** The sandbox, refusing to make v2 the stable version. */
function refusingPromotion(model: ModelConfig): Target {
  const target = targetFor(model);
  return Object.create(target, {
    write: {
      value: async (desired: TrafficState) => {
        if (isPromotion(desired)) throw new TargetError('sandbox refused PUT /traffic (HTTP 503): busy');
        return target.write(desired);
      },
    },
  });
}

/** `ledger`, running `meanwhile` once as it is first asked afresh for a ready release's record. */
function beforeReadingReady(ledger: Ledger, meanwhile: () => Promise<unknown>): void {
  const run = once(meanwhile);
  const { reread, endedElsewhere } = ledger;
  if (reread)
    ledger.reread = async (release: Release) => {
      if (release.status === 'ready') await run();
      return reread.call(ledger, release);
    };
  if (endedElsewhere)
    ledger.endedElsewhere = async (release: Release, fresh: boolean) => {
      if (fresh && release.status === 'ready') await run();
      return endedElsewhere.call(ledger, release, fresh);
    };
}

describe.each(STORES)('releases kept %s', (_, inFile) => {
  beforeEach(() => world.useLedgerFile(inFile, 'model-gate-tick-promotion-resaved-'));

  it.each([
    ['passes v2 and promotes it', false],
    ['tries again the promotion a tick before could not make', true],
  ] as const)(
    'a tick that %s, while a merge job re-run is refused the promotion: v2 promoted',
    async (_, retried) => {
      const event = world.pullRequest('v2', 2);
      const merged = { ...event, action: 'closed' as const, merged: true };
      await prJob(event, 'tick');
      await prJob(merged, 'tick');
      expect(await world.recorded()).toMatchObject({ status: 'analysing', mergedAt: expect.any(Number) });
      world.clock.advance(20_000);
      if (retried) {
        await scheduleTick({ target: refusingPromotion });
        expect(await world.recorded()).toMatchObject({ status: 'ready' });
        world.clock.advance(PROMOTION_GRACE_MS);
      }

      const warnings: string[] = [];
      const { ports, publish } = job(undefined, { warnings });
      let rerun: Awaited<ReturnType<typeof prJob>> | undefined;
      beforeReadingReady(ports.ledger, async () => {
        world.clock.advance(1_000);
        rerun = await prJob(merged, 'tick', { target: refusingPromotion });
      });
      const tick = await publish(await handleSchedule(config, ports, { mode: 'tick', maxWaitMs: 60_000 }));

      expect(rerun?.releases).toMatchObject([
        { status: 'ready', reason: expect.stringContaining('HTTP 503') },
      ]);
      expect(await world.serving()).toEqual({ stable: { version: 'v2' } });
      const history = await world.ledgerOf().history(MODEL);
      expect(history.filter((e) => e.kind === 'promotion' && e.pr === world.pr)).toHaveLength(1);
      const recorded = await world.recorded();
      expect(recorded).toMatchObject({ to: 'v2', status: 'promoted' });
      expect(tick.releases).toEqual([recorded]);
      expect(warnings.filter((w) => w.includes('another run'))).toEqual([]);
    },
  );
});
