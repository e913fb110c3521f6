import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { startTraffic } from '../../src/sandbox/traffic.js';

// `model-gate sandbox` refuses, before it serves, what it would otherwise serve to no avail: live
// traffic a model cannot take, a traffic rate or feedback delay it cannot keep, an unknown --stable.

/** `model-gate ARGS` through the CLI's entry point: exit code and what it printed. */
async function run(args: string[]) {
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(args);
    return {
      code,
      stderr: error.mock.calls.map((c) => String(c[0])),
      stdout: log.mock.calls.map((c) => String(c[0])).join('\n'),
    };
  } finally {
    error.mockRestore();
    log.mockRestore();
  }
}

let modelsDir: string;
beforeAll(async () => {
  // A model taking 3 features: a copy of the demo's v1 without its last weight.
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-sandbox-models-'));
  const v1 = JSON.parse(await readFile(join(demoModelsDir, 'fraud-detector', 'v1.json'), 'utf8'));
  const { nullWhen: _null, ...threeFeatures } = { ...v1, weights: v1.weights.slice(0, 3) };
  await mkdir(join(modelsDir, 'churn'));
  await writeFile(join(modelsDir, 'churn', 'v1.json'), JSON.stringify(threeFeatures));
});
afterAll(() => rm(modelsDir, { recursive: true, force: true }));

describe('model-gate sandbox refuses what it cannot serve', () => {
  it('refuses --traffic for a model that does not take the 4 features the traffic sends', async () => {
    const churn = ['--models-dir', modelsDir, '--model', 'churn', '--stable', 'v1'];
    const { code, stderr } = await run(['sandbox', ...churn, '--traffic', '50']);
    expect(code).toBe(1);
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toContain(
      'model-gate sandbox: --traffic: sends 4 features a request, but churn v1 takes 3',
    );
    expect(stderr[0]).toContain('serve a model with 4 weights, or leave out --traffic');
  });

  it('names --stable for a version the model does not have', async () => {
    const { code, stderr } = await run(['sandbox', '--stable', 'v9']);
    expect(code).toBe(1);
    expect(stderr).toEqual([
      `model-gate sandbox: --stable: unknown version "v9" of model fraud-detector in ${demoModelsDir}; available: v1, v2, v3, v4`,
    ]);
  });

  it('says to pick another --port when its port is in use', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const { code, stderr } = await run(['sandbox', '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toEqual([
        `model-gate sandbox: cannot listen on 127.0.0.1:${port}: EADDRINUSE: the port is in use; pick another with --port, or 0 for any free one`,
      ]);
    } finally {
      holder.close();
    }
  });

  it('refuses a --traffic rate beyond what it can send, saying the cap (exit 2)', async () => {
    const { code, stderr } = await run(['sandbox', '--traffic', '1e7']);
    expect(code).toBe(2);
    expect(stderr[0]).toContain('--traffic: at most 10000 requests per second');
    expect(stderr[0]).toContain('got 1e7');
  });

  it('refuses a --feedback-delay longer than the sandbox keeps a request for its feedback (exit 2)', async () => {
    const { code, stderr } = await run(['sandbox', '--traffic', '50', '--feedback-delay', '3000000000']);
    expect(code).toBe(2);
    expect(stderr[0]).toContain(
      '--feedback-delay: at most 7200000 ms (2 h, how long the sandbox keeps a served request for its feedback), got 3000000000',
    );
  });

  it('says in --help what --traffic sends: 4 features, and user ids and outcomes as the A/B demo', async () => {
    const { code, stdout } = await run(['sandbox', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/from\s+0\.001 to 10000\): rows of 4 features/);
    expect(stdout).toMatch(/Like the A\/B demo's \(demo --strategy ab; the other demos\s+send neither\)/);
    expect(stdout).toMatch(/at most 7200000 \(2 h, how long the sandbox keeps a request for its feedback\)/);
  });
});

describe('the traffic generator', () => {
  it('refuses a feedback delay no timer can wait (a longer one fires at once)', () => {
    expect(() =>
      startTraffic({ url: 'http://127.0.0.1:9', rps: 1, feedback: { delayMs: 3_000_000_000 } }),
    ).toThrow('feedback.delayMs: must be a number of ms from 0 to 2147483647, got 3000000000');
  });
});
