import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { DEADLINE_GRACE_MS } from '../../src/targets/change-deadline.js';
import { commandTarget } from '../../src/targets/command-target.js';
import { knownOf } from '../../src/targets/target.js';
import { step } from './drive.js';

// settle-timeout is the most one traffic change may take on a command target, from its first
// apply, through the applies run again while one says the platform is busy (exit 75), to the end
// of the read after them: a watch job's lease and max-wait count on it. Each command is cut to
// the time the change has left, whatever its own `timeout`. Time runs on a FakeClock; the
// commands are real processes.

const node = process.execPath;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-command-deadline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Never exits: the caller's limit must stop it. */
const HANGS = 'setInterval(() => {}, 1 << 30)';

/**
 * A command target whose apply exits 75 ("busy") its first `busyTimes` runs; the next run applies
 * (or, with `applyHangs`, never ends). Its read prints what was applied (or, with `readHangs`,
 * never ends). Each command's own timeout is 20 s; the change's settle-timeout 10 s.
 */
async function platform(name: string, busyTimes: number, hangs: { apply?: boolean; read?: boolean }) {
  const served = join(dir, `${name}.json`);
  const runs = join(dir, `${name}.runs`);
  await writeFile(served, JSON.stringify({ stable: { version: 'v1' } }));
  await writeFile(runs, '0');
  const apply = `const fs = require('fs'); const n = Number(fs.readFileSync(${JSON.stringify(runs)}, 'utf8')) + 1;
    fs.writeFileSync(${JSON.stringify(runs)}, String(n));
    if (n <= ${busyTimes}) { console.error('deploy: another rollout holds the router'); process.exit(75); }
    ${hangs.apply ? HANGS : ''}
    const [s, c, w] = process.argv.slice(1); const t = { stable: { version: s } };
    if (c) t.canary = { version: c, weight: Number(w) };
    fs.writeFileSync(${JSON.stringify(served)}, JSON.stringify(t));`;
  const read = hangs.read
    ? HANGS
    : `process.stdout.write(require('fs').readFileSync(${JSON.stringify(served)}))`;
  const config: CommandTargetConfig = {
    type: 'command',
    apply: [node, '-e', apply, '--', '{{stable}}', '{{candidate}}', '{{weight}}'],
    read: [node, '-e', read],
    timeoutMs: 20_000,
    settleTimeoutMs: 10_000,
    pollIntervalMs: 5_000,
    strategies: ['canary'],
  };
  return { config, runs: async () => Number(await readFile(runs, 'utf8')) };
}

const asked = step('v1', 'v2', 10);

describe('command target: one settle-timeout for a whole traffic change', () => {
  it('stops an apply begun at the change’s deadline when the grace is up, not after its own timeout', async () => {
    // Busy at 0 s and 5 s; the apply at 10 s, the change's deadline, never ends.
    const { config, runs } = await platform('apply-hangs', 2, { apply: true });
    const clock = new FakeClock();
    const t0 = clock.now();
    await expect(commandTarget(config, 'fraud', clock).write(asked)).rejects.toThrow(
      /^the apply command `.+` \(6 arguments\) did not finish within 5s, the time left of the traffic change's settle-timeout \(10s\); it was stopped \(raise the target's settle-timeout if the platform is just slow\)$/,
    );
    expect(await runs()).toBe(3);
    expect(clock.now() - t0).toBe(10_000);
  });

  it('reads back within the change’s time: a read with no answer is stopped when it is up, naming settle-timeout', async () => {
    const { config, runs } = await platform('read-hangs', 1, { read: true });
    const clock = new FakeClock();
    const t0 = clock.now();
    // Busy at 0 s, applied at 5 s.
    const readBack = await commandTarget(config, 'fraud', clock).write(asked);
    if (!readBack) throw new Error('the write returned no read-back');
    expect(await runs()).toBe(2);
    // reconcile reads back at once; here the change has used its settle-timeout and all of the
    // grace but 300 ms first.
    clock.advance(t0 + config.settleTimeoutMs + DEADLINE_GRACE_MS - 300 - clock.now());
    await expect(readBack(knownOf(asked))).rejects.toThrow(
      /^the read command `.+` \(2 arguments\) did not finish within 300ms, the time left of the traffic change's settle-timeout \(10s\); it was stopped \(raise the target's settle-timeout if the platform is just slow\)$/,
    );
    clock.advance(300);
    await expect(readBack(knownOf(asked))).rejects.toThrow(
      /^the read command `.+` \(2 arguments\) was not made: the traffic change's settle-timeout \(10s\) had run out; raise the target's settle-timeout if the platform is just slow$/,
    );
  });
});
