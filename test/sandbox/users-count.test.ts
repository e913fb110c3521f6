import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxSource } from '../../src/metrics/sandbox-source.js';
import type { Sandbox } from '../../src/sandbox/server.js';
import { startHalfCanarySandbox, v2CanaryWindow } from '../support/half-canary-sandbox.js';
import { mapLimit, nextSecond, predictWith } from './helpers.js';

// The sandbox's `users` count (an srm gate's `units: users`): the distinct sticky keys per slot in
// a window, which a key split randomises, whatever number of requests each user sends.

const MODEL = 'fraud-detector';
let sandbox: Sandbox;

type Arm = 'stable' | 'canary';

/** Sends each user's requests (`x-user-id`, or none for ''), and returns the arm each user landed on. */
async function send(users: { id: string; requests: number }[]): Promise<Map<string, Arm>> {
  const predictUrl = `${sandbox.url}/models/${MODEL}/predict`;
  const calls = users.flatMap((u) => Array.from({ length: u.requests }, () => u.id));
  const arms = await mapLimit(calls, 32, async (id, i) => {
    const res = await predictWith(
      predictUrl,
      { features: [Math.sin(i), 0.2, -0.1, 0.3] },
      id === '' ? {} : { 'x-user-id': id },
    );
    return res.body.slot;
  });
  return new Map(calls.map((id, i) => [id, arms[i] as Arm]));
}

const usersOn = (arms: Map<string, Arm>, arm: Arm) =>
  [...arms].filter(([id, a]) => id !== '' && a === arm).length;

let since: number;
let until: number;
let inWindow: Map<string, Arm>;

beforeAll(async () => {
  sandbox = await startHalfCanarySandbox(11, 'v2', 'x-user-id');
  await send(Array.from({ length: 40 }, (_, i) => ({ id: `before-${i}`, requests: 1 })));
  since = await nextSecond();
  // 200 users, the first five heavy (25 requests each), and 10 requests without a key.
  inWindow = await send([
    ...Array.from({ length: 200 }, (_, i) => ({ id: `u${i}`, requests: i < 5 ? 25 : 1 })),
    { id: '', requests: 10 },
  ]);
  until = await nextSecond();
  await send([
    ...Array.from({ length: 30 }, (_, i) => ({ id: `after-${i}`, requests: 1 })),
    ...Array.from({ length: 20 }, (_, i) => ({ id: `u${i}`, requests: 2 })),
  ]);
});
afterAll(() => sandbox.close());

describe("the sandbox's users count", () => {
  it('counts the distinct x-user-id per slot in the window, not their requests, nor those before or after', async () => {
    const source = sandboxSource({ type: 'sandbox', url: sandbox.url });
    const window = (slot: Arm) => v2CanaryWindow(slot, since, until);
    const canary = usersOn(inWindow, 'canary');
    const stable = usersOn(inWindow, 'stable');
    expect(canary + stable).toBe(200);
    // Both arms have users (a 50% split of 200 keys), so each count below is a real check.
    expect(Math.min(canary, stable)).toBeGreaterThan(50);
    expect(await source.count?.('users', window('canary'))).toBe(canary);
    expect(await source.count?.('users', window('stable'))).toBe(stable);
    // The requests are another count: the heavy users' 24 extra each, and the keyless ten on stable.
    const heavyOn = (arm: Arm) => [0, 1, 2, 3, 4].filter((i) => inWindow.get(`u${i}`) === arm).length;
    expect(await source.requests(window('canary'))).toBe(canary + 24 * heavyOn('canary'));
    expect(await source.requests(window('stable'))).toBe(stable + 24 * heavyOn('stable') + 10);
  });
});
