import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { CommandTargetConfig } from '../../src/config/types.js';
import { FakeClock } from '../../src/core/clock.js';
import { ConfigError } from '../../src/core/errors.js';
import { addSecret } from '../../src/core/redact.js';
import { commandTarget } from '../../src/targets/command-target.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { reconcile } from '../../src/targets/reconcile.js';
import { step } from './drive.js';

// The command target's own platform, kept in a file: apply writes what it is told unless it is
// told to be busy (exit 75) a number of times first, read prints the file. Time runs on a
// FakeClock that records each wait.

const node = process.execPath;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-command-busy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

class WaitLog extends FakeClock {
  waits: number[] = [];
  override async sleep(ms: number) {
    this.waits.push(ms);
    await super.sleep(ms);
  }
}

/** A target whose apply exits 75 ("busy") the first `busyTimes` runs, then applies. */
async function platform(
  name: string,
  busyTimes: number,
  timing = { settleTimeoutMs: 60_000, pollIntervalMs: 5_000 },
) {
  const served = join(dir, `${name}.json`);
  const runs = join(dir, `${name}.runs`);
  await writeFile(served, JSON.stringify({ stable: { version: 'v1' } }));
  await writeFile(runs, '0');
  const apply = `const fs = require('fs'); const n = Number(fs.readFileSync(${JSON.stringify(runs)}, 'utf8')) + 1;
    fs.writeFileSync(${JSON.stringify(runs)}, String(n));
    if (n <= ${busyTimes}) { console.error('deploy: another rollout holds the router'); process.exit(75); }
    const [s, c, w] = process.argv.slice(1); const t = { stable: { version: s } };
    if (c) t.canary = { version: c, weight: Number(w) };
    fs.writeFileSync(${JSON.stringify(served)}, JSON.stringify(t));`;
  const config: CommandTargetConfig = {
    type: 'command',
    apply: [node, '-e', apply, '--', '{{stable}}', '{{candidate}}', '{{weight}}'],
    read: [node, '-e', `process.stdout.write(require('fs').readFileSync(${JSON.stringify(served)}))`],
    timeoutMs: 20_000,
    strategies: ['canary'],
    ...timing,
  };
  return { config, runs: async () => Number(await readFile(runs, 'utf8')) };
}

describe('command target: an apply that says the platform is busy (exit 75)', () => {
  it('is run again every poll interval, and the change lands once the platform is free', async () => {
    const { config, runs } = await platform('free-later', 2);
    const clock = new WaitLog();
    await expect(reconcile(commandTarget(config, 'fraud', clock), step('v1', 'v2', 10))).resolves.toEqual(
      step('v1', 'v2', 10),
    );
    expect(await runs()).toBe(3);
    expect(clock.waits).toEqual([5_000, 5_000]);
  });

  it('gives up at the settle timeout with TargetBusyError, saying what apply said', async () => {
    const { config, runs } = await platform('always-busy', 1000, {
      settleTimeoutMs: 20_000,
      pollIntervalMs: 5_000,
    });
    const err = await commandTarget(config, 'fraud', new WaitLog())
      .write(step('v1', 'v2', 10))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toBe(
      `command target ${node} for fraud did not settle within 20s: the apply command \`${node}\` (6 arguments) says the platform is busy: deploy: another rollout holds the router; try again later`,
    );
    expect(await runs()).toBe(5);
  });

  it('takes settle-timeout and poll-interval in the config, named as the other targets name them', () => {
    const yaml = (timing: string) => `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: command, apply: [./switch, "{{weight}}"], read: [./state]${timing} }
    metrics: { type: sandbox, url: http://127.0.0.1:1 }
    strategy: { type: canary, steps: [10, 50] }
    gates: []
`;
    const target = (timing: string) => parseConfig(yaml(timing), {}).config.models.fraud?.target;
    expect(target(', settle-timeout: 2m, poll-interval: 5s')).toMatchObject({
      settleTimeoutMs: 120_000,
      pollIntervalMs: 5_000,
    });
    expect(target('')).toMatchObject({ timeoutMs: 60_000, settleTimeoutMs: 600_000, pollIntervalMs: 10_000 });
    const problems = (() => {
      try {
        target(', settle-timeout: 5s, poll-interval: 10s');
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    })();
    expect(problems).toEqual([
      expect.stringMatching(
        /models\.fraud\.target\.poll-interval: expected at most settle-timeout \(5s\), got 10s$/,
      ),
    ]);
  });
});

describe('command target: an apply that crashes', () => {
  it("says the crash's own message, not its stack, and logs the whole stderr with secrets hidden", async () => {
    const SECRET = 'dpl_crash_Zq81mW3x';
    addSecret(SECRET);
    const script = join(dir, 'crash.mjs');
    // A user's deploy script that dies on an exception, as Node prints it: the source line, a
    // caret, the error, the stack, and "Node.js v24...". It logs its token first (set -x style)
    // and lines that read like workflow commands.
    await writeFile(
      script,
      `process.stderr.write('+ deploy --token ' + process.env.CRASH_TOKEN + '\\n::error::not a command\\n50%\\r::warning::after a progress bar\\'s carriage return\\n');
async function putTraffic() { throw new Error('router API refused: version v2 has no ready replicas'); }
await putTraffic();
`,
    );
    process.env.CRASH_TOKEN = SECRET;
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let err: unknown;
    try {
      const target = commandTarget(
        {
          type: 'command',
          apply: [node, script, '{{candidate}}'],
          read: [node, '-e', '0'],
          timeoutMs: 20_000,
          settleTimeoutMs: 0,
          pollIntervalMs: 0,
          strategies: ['canary'],
        },
        'fraud',
      );
      err = await target.write(step('v1', 'v2', 10)).catch((e: unknown) => e);
    } finally {
      spy.mockRestore();
      delete process.env.CRASH_TOKEN;
    }
    const message = (err as Error).message;
    expect(message).toBe(
      `the apply command \`${node}\` (2 arguments) failed (exit 1): Error: router API refused: version v2 has no ready replicas`,
    );

    const log = written.join('');
    expect(log).toContain(`the apply command \`${node}\` (2 arguments) failed (exit 1); its stderr:`);
    expect(log).toContain('  | Error: router API refused: version v2 has no ready replicas');
    expect(log).toContain('  |     at putTraffic');
    expect(log).toContain('  | + deploy --token ***');
    expect(log).not.toContain(SECRET);
    // No line of the command's output can act as a workflow command, also where a carriage return
    // (a progress bar's) would start a line on a terminal or a runner that reads it as one.
    expect(log.split(/\r\n|\r|\n/).filter((line) => line.startsWith('::'))).toEqual([]);
    expect(log).toContain('  | ::warning::after a progress bar');
  });
});
