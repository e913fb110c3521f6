import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { blueGreenWorld, HOUR, MODEL } from './blue-green-world.js';

// The merge job promotes (one target call), then records: the promotion's Deployment and the
// release's state. GitHub refusing one of those writes fails the job; its re-run must leave the
// ledger saying v2 serves, once, so that blue-green's rollback-window later retires blue v1.
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
});
afterAll(() => sandbox?.close());

const gh502 = () => Object.assign(new Error('GitHub 502 Bad Gateway'), { status: 502, request: {} });
const PROMOTED = { kind: 'promotion', version: 'v2', previous: 'v1', pr: 2 };

/** PR #2 (v1 -> v2) ready; its merge job fails on the write `fail` breaks, and is re-run. */
async function mergeFailingOnce(fail: 'deployment' | 'deployment answer lost' | 'release state') {
  const w = await blueGreenWorld(sandbox);
  const { event, opened } = await w.open(2, 'v1', 'v2');
  expect(opened.releases[0]?.status).toBe('ready');
  const { record, saveRelease } = w.ledger;
  let failing = true;
  w.ledger.record = async (entry) => {
    if (!failing || fail === 'release state') return record(entry);
    failing = false;
    if (fail === 'deployment answer lost') await record(entry);
    throw gh502();
  };
  w.ledger.saveRelease = async (release) => {
    if (failing && fail === 'release state' && release.status === 'promoted') {
      failing = false;
      throw gh502();
    }
    return saveRelease(release);
  };
  await expect(w.merge(event)).rejects.toThrow('GitHub 502');
  expect(await w.served()).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
  const rerun = await w.merge(event);
  return { w, rerun };
}

describe("a merge job's re-run after GitHub refused a write of the promotion", () => {
  it('records the promotion once, whichever write failed, and the rollback-window then retires blue v1', async () => {
    // The Deployment refused; made but its answer lost (not to be made twice); the release state refused.
    for (const fail of ['deployment', 'deployment answer lost', 'release state'] as const) {
      const { w, rerun } = await mergeFailingOnce(fail);
      expect(rerun.releases[0]?.status).toBe('promoted');
      expect(rerun.skipped).toEqual([]);
      expect(await w.ledger.history(MODEL)).toMatchObject([PROMOTED]);
      expect(await w.ledger.release(MODEL)).toMatchObject({ status: 'promoted' });

      w.clock.advance(2 * HOUR);
      const tick = await w.tick();
      expect(tick.skipped.map((s) => s.why)).toContain(
        'blue v1 retired (rollback-window 1h over): v2 alone is deployed; a rollback to v1 deploys it again',
      );
      expect(await w.served()).toEqual({ stable: { version: 'v2' } });
      expect(await w.direct('v1')).toBe(404);
    }
  });
});
