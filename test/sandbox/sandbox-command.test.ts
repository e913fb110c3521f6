import { afterAll, describe, expect, it, vi } from 'vitest';
import { sandboxCommand } from '../../src/cli/sandbox-command.js';
import type { WindowReport } from '../../src/sandbox/metrics-store.js';
import { killSandboxProcesses, startSandboxProcess } from '../support/sandbox-process.js';
import { binomialInterval, call, nextSecond, until } from './helpers.js';

afterAll(killSandboxProcesses);

describe('model-gate sandbox', () => {
  it.each([
    [['--port', 'abc'], '--port: must be a whole number, got "abc"'],
    [['--port', '70000'], '--port: must be from 0 to 65535'],
    [['--traffic', 'fast'], '--traffic: must be requests per second'],
    [
      ['--traffic', '0.0000001'],
      '--traffic: at least 0.001 requests per second (one about every 17 minutes), or 0 for none, got 0.0000001',
    ],
    [['--model', 'churn'], '--stable: required with --model churn'],
    [['--bogus'], 'model-gate sandbox: unknown option --bogus (usage: model-gate sandbox'],
    // The synopsis wraps: the one-line usage keeps its second line's options.
    [
      ['--traffic', '20000'],
      '[--shift X [--shift-after DURATION]] [--models-dir DIR --model NAME --stable VERSION])',
    ],
    [['--port'], "'--port"],
    [['--traffic', '50', '--feedback-delay', 'soon'], '--feedback-delay: must be a whole number, got "soon"'],
    [['--feedback-delay', '100'], '--feedback-delay: needs --traffic'],
    [['--conversion-rate', '1.5'], '--conversion-rate: must be a probability from 0 to 1, got "1.5"'],
    [['--conversion-rate', ''], '--conversion-rate: must be a probability from 0 to 1, got ""'],
    [['--traffic', '50', '--shift', 'far'], '--shift: must be a number, got "far"'],
    [['--shift', '1'], '--shift: needs --traffic'],
    [
      ['--traffic', '50', '--shift', '1', '--shift-after', 'soon'],
      '--shift-after: must be a duration such as 90s or 2m, got "soon"',
    ],
    [['--traffic', '50', '--shift', '1', '--shift-after', '-1s'], "'--shift-after'"],
    [['--traffic', '50', '--shift-after', '2m'], '--shift-after: needs --shift'],
    [['--traffic', '50', '--shift', '-x'], "'--shift'"],
  ])('refuses %j with one line naming the flag and exit code 2', async (argv, message) => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await sandboxCommand(argv)).toBe(2);
      expect(error).toHaveBeenCalledTimes(1);
      const line = String(error.mock.calls[0]?.[0]);
      expect(line).toContain(message);
      expect(line).not.toContain('\n');
    } finally {
      error.mockRestore();
    }
  });

  it('documents --shift-after and a negative shift as the next argument in --help', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await sandboxCommand(['--help'])).toBe(0);
      const text = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(text).toContain('--shift-after DURATION');
      expect(text).toContain('--shift -0.5');
    } finally {
      log.mockRestore();
    }
  });

  it('documents in --help that the traffic carries user ids and outcomes, for A/B splits', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await sandboxCommand(['--help'])).toBe(0);
      const text = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(text).toMatch(/user id \(header x-user-id, one\s+of 50000\)/);
      expect(text).toMatch(/sticky-header: x-user-id/);
      expect(text).toContain('(default 100)');
    } finally {
      log.mockRestore();
    }
  });

  it('serves in the foreground with live traffic and stops cleanly on SIGTERM', async () => {
    // A negative shift as the next argument (parseArgs alone would call it ambiguous), delayed.
    const args = ['--port', '0', '--traffic', '100', '--shift', '-0.5', '--shift-after', '1m'];
    const { proc, exited, url, stdout, stderr } = await startSandboxProcess(args);
    expect(stdout()).toContain(`url: ${url}, model: fraud-detector`);
    expect(stdout()).toContain('every feature shifted by -0.5 from 1m after the start');
    // Live traffic reaches the model it serves.
    for (let i = 0; i < 500; i++) {
      const m = await call<WindowReport>('GET', `${url}/metrics.json?model=fraud-detector`);
      if ((m.body.slots.stable?.requests ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const m = await call<WindowReport>('GET', `${url}/metrics.json?model=fraud-detector`);
    expect(m.body.slots.stable?.version).toBe('v1');
    expect(m.body.slots.stable?.requests).toBeGreaterThan(0);

    proc.kill('SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal, stderr: stderr() }).toEqual({ code: 0, signal: null, stderr: '' });
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });

  it('sends traffic with user ids and outcomes: an A/B split puts it on both arms by user', async () => {
    const { proc, exited, url, stdout, stderr } = await startSandboxProcess([
      '--port',
      '0',
      '--traffic',
      '400',
    ]);
    expect(stdout()).toContain('from 50000 user ids (x-user-id), with outcome feedback after 100 ms');
    // What the sandbox target applies for an ab strategy with sticky-header: x-user-id.
    const ab = {
      stable: { version: 'v1' },
      canary: { version: 'v4', weight: 50 },
      sticky: { header: 'x-user-id' },
    };
    expect((await call('PUT', `${url}/admin/models/fraud-detector/traffic`, ab)).status).toBe(200);
    // From the next whole second (once it has begun: a window not begun yet is refused), as the
    // requests before the split was applied all went to stable.
    const since = await nextSecond();
    const arms = async () =>
      (await call<WindowReport>('GET', `${url}/metrics.json?model=fraud-detector&since=${since}`)).body.slots;
    await until(async () => {
      const { stable, canary } = await arms();
      return Math.min(stable?.outcomes.exposures ?? 0, canary?.outcomes.exposures ?? 0) >= 100;
    }, 'both arms have 100 requests with outcomes');
    const { stable, canary } = await arms();
    if (!stable || !canary) throw new Error('an arm got no traffic');
    // Every request carried the sticky key (none fell back to stable as unkeyed), so each was
    // routed by its user id, which keeps a user on one arm (sticky.test.ts); the users split 50/50.
    expect([stable.unkeyed, canary.unkeyed]).toEqual([0, 0]);
    expect(canary.version).toBe('v4');
    const [low, high] = binomialInterval(stable.requests + canary.requests, 0.5);
    expect(canary.requests).toBeGreaterThan(low);
    expect(canary.requests).toBeLessThan(high);
    // Outcomes come back for both arms, so a conversion gate has exposures to compare.
    expect(stable.outcomes.conversions).toBeGreaterThan(0);
    expect(canary.outcomes.conversions).toBeGreaterThan(0);
    proc.kill('SIGTERM');
    const [code] = await exited;
    expect({ code, stderr: stderr() }).toEqual({ code: 0, stderr: '' });
  });

  it('sends outcome feedback with --feedback-delay, converting at --conversion-rate', async () => {
    const args = ['--port', '0', '--traffic', '200', '--feedback-delay', '20', '--conversion-rate', '1'];
    const { proc, exited, url, stdout, stderr } = await startSandboxProcess(args);
    expect(stdout()).toContain('with outcome feedback after 20 ms');
    const stable = async () => {
      const m = await call<WindowReport>('GET', `${url}/metrics.json?model=fraud-detector`);
      return m.body.slots.stable;
    };
    for (let i = 0; i < 500 && ((await stable())?.outcomes.exposures ?? 0) < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const slot = await stable();
    const outcomes = slot?.outcomes;
    expect(outcomes?.exposures).toBeGreaterThanOrEqual(20);
    // A conversion rate of 1 (v1's factor is 1): every answered request converted; one that
    // errored never does (v1 fails a few), and each of those was counted among the errors first.
    const exposures = outcomes?.exposures ?? 0;
    expect(outcomes?.conversions).toBeLessThanOrEqual(exposures);
    expect(outcomes?.conversions).toBeGreaterThanOrEqual(exposures - (slot?.errors ?? 0));
    expect(outcomes?.conversions).toBeGreaterThan(0);
    proc.kill('SIGTERM');
    const [code] = await exited;
    expect({ code, stderr: stderr() }).toEqual({ code: 0, stderr: '' });
  });
});
