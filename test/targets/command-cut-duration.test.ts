import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { DEADLINE_GRACE_MS } from '../../src/targets/change-deadline.js';
import { commandTarget } from '../../src/targets/command-target.js';
import { knownOf } from '../../src/targets/target.js';
import { step } from './drive.js';

// A command cut to the time its traffic change has left is stopped when that is up; its message
// says how long it had as a person would (`2s`), not as the clock counted it (`1500ms`). Time runs
// on a FakeClock; the commands are real processes.

const node = process.execPath;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-command-cut-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('command target: the time a cut command had', () => {
  it('is shown in whole seconds from 1s up', async () => {
    const served = join(dir, 'served.json');
    await writeFile(served, JSON.stringify({ stable: { version: 'v1' } }));
    const config: CommandTargetConfig = {
      type: 'command',
      apply: [node, '-e', `require('fs').writeFileSync(${JSON.stringify(served)}, '{}')`],
      read: [node, '-e', 'setInterval(() => {}, 1 << 30)'],
      timeoutMs: 20_000,
      settleTimeoutMs: 10_000,
      pollIntervalMs: 1_000,
      strategies: ['canary'],
    };
    const clock = new FakeClock();
    const t0 = clock.now();
    const asked = step('v1', 'v2', 10);
    const readBack = await commandTarget(config, 'fraud', clock).write(asked);
    if (!readBack) throw new Error('the write returned no read-back');
    // The change has used its settle-timeout and all of the grace but 1.5 s when it reads back.
    clock.advance(t0 + config.settleTimeoutMs + DEADLINE_GRACE_MS - 1_500 - clock.now());
    await expect(readBack(knownOf(asked))).rejects.toThrow(
      /^the read command `.+` \(2 arguments\) did not finish within 2s, the time left of the traffic change's settle-timeout \(10s\); it was stopped/,
    );
  });
});
