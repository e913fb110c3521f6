import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startHalfCanarySandbox, v2CanaryWindow } from '../support/half-canary-sandbox.js';
import { mapLimit, nextSecond, post, predictWith } from './helpers.js';

// The sandbox's `exposed-users` and `converted-users` (a key-split A/B's conversion gate): the
// distinct sticky keys per slot whose feedback arrived in the window, and of them those with a
// conversion, whatever number of requests and conversions each user had. The feedback names only
// the request's id: the user is the key the request was routed by.

const MODEL = 'fraud-detector';
let sandbox: Sandbox;

type Arm = 'stable' | 'canary';

interface Visit {
  /** '' sends no x-user-id. */
  user: string;
  /** Whether its feedback reports a conversion; undefined sends no feedback. */
  converted?: boolean;
}

let calls = 0;

/** One request per visit, then the feedback of those that have one; the arm each user landed on. */
async function visit(visits: Visit[]): Promise<Map<string, Arm>> {
  const arms = await mapLimit(visits, 32, async (v) => {
    const id = `r${calls++}`;
    const res = await predictWith(
      `${sandbox.url}/models/${MODEL}/predict`,
      { id, features: [Math.sin(calls), 0.2, -0.1, 0.3] },
      v.user === '' ? {} : { 'x-user-id': v.user },
    );
    if (v.converted !== undefined) {
      const fed = await post(`${sandbox.url}/models/${MODEL}/feedback`, { id, converted: v.converted });
      expect(fed.status).toBe(200);
    }
    return res.body.slot as Arm;
  });
  return new Map(visits.map((v, i) => [v.user, arms[i] as Arm]));
}

let since: number;
let until: number;
let arms: Map<string, Arm>;
/** In the window: 90 users with feedback; every third converts (on its last request). */
const FED = 90;
const converts = (i: number) => i % 3 === 0;

beforeAll(async () => {
  sandbox = await startHalfCanarySandbox(5, 'v2', 'x-user-id');
  await visit(Array.from({ length: 30 }, (_, i) => ({ user: `before-${i}`, converted: true })));
  since = await nextSecond();
  // The first five users are heavy (12 requests each, converting on four); 20 users send requests
  // without feedback; 10 requests without a key convert.
  const fed = Array.from({ length: FED }, (_, i) => i).flatMap((i) =>
    Array.from({ length: i < 5 ? 12 : 1 }, (_, j) => ({
      user: `u${i}`,
      converted: converts(i) && (i < 5 ? j % 3 === 0 : true),
    })),
  );
  arms = await visit([
    ...fed,
    ...Array.from({ length: 20 }, (_, i) => ({ user: `quiet-${i}` })),
    ...Array.from({ length: 10 }, () => ({ user: '', converted: true })),
  ]);
  until = await nextSecond();
  await visit([
    ...Array.from({ length: 20 }, (_, i) => ({ user: `after-${i}`, converted: true })),
    ...Array.from({ length: 20 }, (_, i) => ({ user: `u${i}`, converted: true })),
  ]);
});
afterAll(() => sandbox.close());

describe("the sandbox's exposed and converted users", () => {
  it('count the distinct users per slot with feedback, and with a conversion, in the window, not their requests', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    const window = (slot: Arm) => v2CanaryWindow(slot, since, until);
    const users = (arm: Arm, which: (i: number) => boolean) =>
      Array.from({ length: FED }, (_, i) => i).filter((i) => which(i) && arms.get(`u${i}`) === arm).length;
    for (const arm of ['canary', 'stable'] as const) {
      const exposed = users(arm, () => true);
      const converted = users(arm, converts);
      // Both arms have users (a 50% split of 90 keys), so each count below is a real check.
      expect(exposed, arm).toBeGreaterThan(25);
      expect(converted, arm).toBeGreaterThan(5);
      expect(await source.count?.('exposed-users', window(arm)), arm).toBe(exposed);
      expect(await source.count?.('converted-users', window(arm)), arm).toBe(converted);
      // The per-request counts are others: the heavy users' 11 extra requests (4 conversions on a
      // converting one, else none), and on stable the ten keyless conversions.
      const heavy = [0, 1, 2, 3, 4].filter((i) => arms.get(`u${i}`) === arm);
      const keyless = arm === 'stable' ? 10 : 0;
      expect(await source.count?.('exposures', window(arm)), arm).toBe(exposed + 11 * heavy.length + keyless);
      expect(await source.count?.('conversions', window(arm)), arm).toBe(
        converted + 3 * heavy.filter(converts).length + keyless,
      );
    }
  });
});
