import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, stopAll, type Watchdog } from '../../src/targets/cli.js';

// stopAll, as a cancelled Action's main step calls it: every command under way is stopped with what
// it started, under either watchdog, and none starts after. Its own file: stopAll stops this
// process's commands for good.

/** A command that ignores SIGTERM and leaves its change to a child, which writes `file` after 3 s. */
const slowChange = (started: string, file: string) => [
  process.execPath,
  '-e',
  `process.on('SIGTERM', () => {});
   require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => require("node:fs").writeFileSync(process.argv[1], ""), 3000)', ${JSON.stringify(file)}], { stdio: 'inherit' }).on('exit', (c) => process.exit(c));
   require('node:fs').writeFileSync(${JSON.stringify(started)}, '');`,
];

const until = async (done: () => boolean) => {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
};

describe('stopAll', () => {
  it('stops the commands under way and what they started, and starts no more', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-stop-all-'));
    const at = (name: string) => join(dir, name);
    const settled: string[] = [];
    for (const watchdog of ['coreutils', 'node'] as Watchdog[]) {
      void runCli(
        slowChange(at(`${watchdog}-started`), at(`${watchdog}-changed`)),
        { timeoutMs: 30_000 },
        watchdog,
      ).finally(() => settled.push(watchdog));
    }
    await until(() => existsSync(at('coreutils-started')) && existsSync(at('node-started')));
    const begun = Date.now();
    expect(await stopAll(1_000)).toBe(2);
    expect(Date.now() - begun).toBeLessThan(2_000);
    void runCli(slowChange(at('after-started'), at('after-changed')), { timeoutMs: 30_000 }).finally(() =>
      settled.push('after'),
    );
    await new Promise((r) => setTimeout(r, 4_000));
    expect(['coreutils-changed', 'node-changed', 'after-started'].filter((f) => existsSync(at(f)))).toEqual(
      [],
    );
    // No result of a stopped command leads to anything more: the step is on its way out.
    expect(settled).toEqual([]);
  }, 20_000);
});
