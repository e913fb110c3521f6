import { expect } from 'vitest';
import { configOf, IDLE, twoModelsWorld } from './two-models-world.js';

// The world of a stable version put in place by hand: PR #7's v2 passed its canary against v1 and
// is ready (idle at 0%) when an engineer makes the platform serve something else, hotfix v3 mostly.

export const CONFIG = configOf(['fraud']);

type Serving = Awaited<ReturnType<typeof twoModelsWorld>>['platforms']['fraud']['state'];

/** PR #7's v2 ready against v1 (two ticks); then `serving` (hotfix v3 unless given) put in place by hand. */
export async function readyThen(serving: Serving = { stable: { version: 'v3' } }) {
  const w = await twoModelsWorld();
  await w.prJob(CONFIG, 7);
  for (let i = 0; i < 2; i++) {
    w.clock.advance(20_000);
    await w.tick(CONFIG);
  }
  expect(await w.file.release('fraud')).toMatchObject({ to: 'v2', status: 'ready' });
  expect(w.platforms.fraud.state).toEqual(IDLE);
  w.platforms.fraud.state = serving;
  return w;
}

export const NOT_PROMOTED =
  'v2 was not promoted: v3 serves, put in place outside model-gate (no run recorded it) after v2 was analysed against v1, so v2 was never compared with v3';
/** The advice that holds whether or not PR #7 is merged. */
export const MERGE_V3_FIRST =
  'to release v2 against v3, merge a PR that sets fraud.yaml to v3, then open one that declares v2 again';
/** The advice added while PR #7 may still be open. */
export const WHILE_OPEN =
  'or, while PR #7 is still open, push a new commit to it (an empty one will do), which analyses v2 again against what serves';
