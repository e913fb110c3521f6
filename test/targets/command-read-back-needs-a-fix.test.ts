import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandTargetConfig, ModelConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { confirmingTarget, UnconfirmedChange } from '../../src/release/confirmed-change.js';
import { commandTarget } from '../../src/targets/command-target.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { fraudCanaryOn } from '../support/model-config.js';

// A rollback on a command target whose read command prints a line of its own before the JSON
// (`reading the router's split...`) was read again every poll-interval for the whole settle-timeout
// (10m here), then reported as an unconfirmed change. The same command prints the same: the
// rollback fails after one read, quoting what it printed. Time runs on a FakeClock; the commands
// are real processes.

const node = process.execPath;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-command-read-back-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a rollback on a command target whose read prints more than JSON', () => {
  it('fails after one read, at once, quoting what the read printed', async () => {
    const served = join(dir, 'served.json');
    const reads = join(dir, 'reads');
    await writeFile(
      served,
      JSON.stringify({ stable: { version: 'v1' }, canary: { version: 'v2', weight: 10 } }),
    );
    await writeFile(reads, '');
    const config: CommandTargetConfig = {
      type: 'command',
      apply: [
        node,
        '-e',
        `require('fs').writeFileSync(${JSON.stringify(served)}, JSON.stringify({ stable: { version: process.argv[1] } }))`,
        '--',
        '{{stable}}',
      ],
      read: [
        node,
        '-e',
        `const fs = require('fs'); fs.appendFileSync(${JSON.stringify(reads)}, 'x');
         console.log("reading the router's split..."); process.stdout.write(fs.readFileSync(${JSON.stringify(served)}))`,
      ],
      timeoutMs: 20_000,
      settleTimeoutMs: 10 * 60_000,
      pollIntervalMs: 10_000,
      strategies: ['canary'],
    };
    const model: ModelConfig = {
      ...fraudCanaryOn('{ type: sandbox, url: "http://127.0.0.1:1" }').model,
      target: config,
    };
    const clock = new FakeClock();
    const began = clock.now();
    const target = confirmingTarget(commandTarget(config, 'fraud', clock), model, clock);
    const err = await reconcile(target, withdrawTraffic('v1')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).not.toBeInstanceOf(UnconfirmedChange);
    expect((err as Error).message).toMatch(
      / did not print JSON \(got "reading the router's split\.\.\.\\n\{/,
    );
    expect(clock.now() - began).toBe(0);
    expect((await readFile(reads, 'utf8')).length).toBe(1);
  });
});
