import { describe, expect, it } from 'vitest';
import { TargetError } from '../../src/core/errors.js';
import { handleSchedule } from '../../src/release/schedule.js';
import { TargetAccessError } from '../../src/targets/errors.js';
import { fraudOn } from '../support/model-config.js';
import { ERRORS, MIRROR_ONLY, shadowing, tickMode } from './shadow-world.js';

// A shadow's look reads the platform only to check v2 still has no live traffic (nothing changed
// there). One failed read (a `az … show` 503, a timed-out GET /traffic) rolled the hours-long
// shadow back. Such a read failure now skips the look, the release goes on analysing and the next
// look reads again; one no wait changes (access refused) still ends it as before.

type World = Awaited<ReturnType<typeof shadowing>>['w'];

/** `w`'s platform, its reads failing with `failure` while `unreadable.now` says so. */
function unreadableWhile(w: World, failure: () => TargetError) {
  const unreadable = { now: false };
  const read = w.target.read.bind(w.target);
  w.target.read = async () => {
    if (unreadable.now) throw failure();
    return read();
  };
  return unreadable;
}

const BLIP = () => new TargetError('fault target did not answer GET /traffic within 30s');

async function tickUntilDone(w: World, config = w.config) {
  for (let i = 0; i < 20 && (await w.ledger.release('fraud'))?.status === 'analysing'; i++) {
    w.clock.advance(5 * 60_000);
    await handleSchedule(config, w.ports, tickMode);
  }
  return w.ledger.release('fraud');
}

describe('a shadow whose platform read fails on one look', () => {
  it('stays analysing, saying the platform could not be read, and then passes', async () => {
    const { w } = await shadowing();
    const unreadable = unreadableWhile(w, BLIP);
    unreadable.now = true;
    w.clock.advance(5 * 60_000);
    await handleSchedule(w.config, w.ports, tickMode);
    unreadable.now = false;

    const release = await w.ledger.release('fraud');
    expect(release?.status).toBe('analysing');
    expect(release?.reason).toBe(
      'analysing shadow 30% of requests: the platform could not be read to check v2 still has no live traffic (fault target did not answer GET /traffic within 30s); nothing was changed, and the next look reads it again',
    );
    expect(w.target.state).toEqual(MIRROR_ONLY);
    expect(release?.phases.map((p) => p.outcome ?? 'running')).toEqual(['running']);

    const done = await tickUntilDone(w);
    expect(done?.status).toBe('ready');
  });

  it('whose read is refused (access denied) still rolls back as before', async () => {
    const { w } = await shadowing();
    const denied = () => new TargetAccessError('fault target refused the credentials (HTTP 403)');
    unreadableWhile(w, denied).now = true;
    w.clock.advance(5 * 60_000);
    await handleSchedule(w.config, w.ports, tickMode);

    const release = await w.ledger.release('fraud');
    expect(release?.status).toBe('failed');
    expect(release?.reason).toBe(
      'the serving platform failed: fault target refused the credentials (HTTP 403); the rollback to v1 also failed: fault target refused the credentials (HTTP 403)',
    );
    expect(release?.ending?.platformFailed).toBe(true);
  });

  it('carried on under a renamed phase (a new share) while unreadable, changes nothing until a read answers', async () => {
    const { w } = await shadowing();
    const { config: wider } = fraudOn('{ type: sandbox, url: "http://127.0.0.1:1" }', {
      strategy: '{ type: shadow, share: 50, duration: 1h, interval: 5m, min-requests: 100 }',
      gates: [ERRORS],
    });
    const unreadable = unreadableWhile(w, BLIP);
    unreadable.now = true;
    w.clock.advance(5 * 60_000);
    await handleSchedule(wider, w.ports, tickMode);
    unreadable.now = false;

    const release = await w.ledger.release('fraud');
    expect(release?.status).toBe('analysing');
    expect(release?.reason).toBe(
      'analysing shadow 30% of requests: the platform could not be read to carry it on as shadow 50% of requests (fault target did not answer GET /traffic within 30s); nothing was changed, and the next look reads it again',
    );
    expect(w.target.state).toEqual(MIRROR_ONLY);

    w.clock.advance(5 * 60_000);
    await handleSchedule(wider, w.ports, tickMode);
    expect(w.target.state).toEqual({ stable: { version: 'v1' }, mirror: { version: 'v2', share: 50 } });
    expect((await w.ledger.release('fraud'))?.status).toBe('analysing');
  });
});
