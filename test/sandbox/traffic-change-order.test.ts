import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, type FileHandle, mkdir, mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrafficState } from '../../src/core/traffic.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { call } from './helpers.js';

// Two traffic changes to one model, the second (a rollback) sent while the first still loads its
// artifacts: each used to be applied when its load finished, so the first, finishing later,
// overwrote the confirmed rollback. The load is made slow on purpose: v3's artifact is a named
// pipe, which the sandbox reads only once the test writes the artifact into it.

const MODEL = 'fraud-detector';
let modelsDir: string;
let sandbox: Sandbox;
let trafficUrl: string;
let pipe: string;

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'model-gate-change-order-'));
  await mkdir(join(modelsDir, MODEL));
  for (const version of ['v1', 'v4']) {
    await copyFile(join(demoModelsDir, MODEL, `${version}.json`), join(modelsDir, MODEL, `${version}.json`));
  }
  pipe = join(modelsDir, MODEL, 'v3.json');
  execFileSync('mkfifo', [pipe]);
  sandbox = await startSandbox({ modelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  trafficUrl = `${sandbox.url}/admin/models/${MODEL}/traffic`;
});
afterAll(async () => {
  await sandbox?.close();
  await rm(modelsDir, { recursive: true, force: true });
});

/** The pipe's writing end once the sandbox has opened it to read (it is loading v3). */
async function whenV3Loads(): Promise<FileHandle> {
  for (let i = 0; i < 1000; i++) {
    try {
      // Without a reader, opening a pipe to write without blocking fails (ENXIO).
      return await open(pipe, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  throw new Error('the sandbox never started loading v3');
}

const put = (state: TrafficState) => call<TrafficState>('PUT', trafficUrl, state);

describe('traffic changes to one model', () => {
  it('are applied in the order they arrive: a rollback sent during a slow change is what serves', async () => {
    const rollout: TrafficState = {
      stable: { version: 'v1' },
      canary: { version: 'v3', weight: 30 },
      mirror: { version: 'v4', share: 10 },
    };
    const rollback: TrafficState = { stable: { version: 'v1' } };
    const first = put(rollout);
    const writer = await whenV3Loads();
    try {
      const second = put(rollback);
      // Old behaviour: the rollback answered at once, while the rollout was still loading.
      await Promise.race([second, new Promise((resolve) => setTimeout(resolve, 300))]);
      await writer.write(await readFile(join(demoModelsDir, MODEL, 'v3.json')));
      await writer.close();
      const [a, b] = await Promise.all([first, second]);
      // Each answer is the state its own change applied.
      expect(a).toMatchObject({ status: 200, body: rollout });
      expect(b).toMatchObject({ status: 200, body: rollback });
    } finally {
      await writer.close().catch(() => {});
    }
    // The last change to arrive is the one serving.
    expect((await call<TrafficState>('GET', trafficUrl)).body).toEqual({ stable: { version: 'v1' } });
  });

  it('keeps taking changes after one in line was refused', async () => {
    const refused = put({ stable: { version: 'v1' }, canary: { version: 'v9', weight: 5 } });
    const next = put({ stable: { version: 'v1' }, canary: { version: 'v4', weight: 5 } });
    expect((await refused).status).toBe(400);
    expect(await next).toMatchObject({ status: 200, body: { canary: { version: 'v4', weight: 5 } } });
  });
});
