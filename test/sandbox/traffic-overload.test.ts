import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';
import { fromSourceArgs } from '../support/source-bundle.js';
import { until } from './helpers.js';

// Live traffic at a rate no machine can send (startTraffic itself has no cap; the command caps
// --traffic) must not hold the event loop: the sandbox keeps answering and stops on SIGTERM.
let proc: ChildProcess | undefined;
afterAll(() => {
  if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});

it('keeps the sandbox answering and stoppable under traffic asked at 1e9 requests a second', async () => {
  const node = await fromSourceArgs('test/sandbox/fixtures/overloaded-traffic.ts');
  proc = spawn(process.execPath, [...node, '1e9'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(proc, 'exit');
  let stdout = '';
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc?.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
  });
  // Bounds, not timings: a starved event loop answers neither within them.
  const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(15_000) });
  expect(health.status).toBe(200);
  await until(async () => {
    const metrics = await fetch(`${url}/metrics.json`, { signal: AbortSignal.timeout(15_000) });
    const { slots } = (await metrics.json()) as { slots: { stable?: { requests: number } } };
    return (slots.stable?.requests ?? 0) > 0;
  }, 'the traffic is served');
  proc.kill('SIGTERM');
  const [code] = await Promise.race([
    exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('SIGTERM did not stop it')), 15_000).unref(),
    ),
  ]);
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout).toMatch(/stopped after \d+ requests/);
}, 60_000);
