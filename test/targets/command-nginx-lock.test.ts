import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CommandTargetConfig } from '../../src/config/types.js';
import { commandTarget } from '../../src/targets/command-target.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { step } from './drive.js';

// examples/command/nginx-split.mjs's lock, when an apply does not end by itself: stopped by
// model-gate's timeout (SIGTERM), killed outright (SIGKILL), or failing half-way. Every later
// apply (a rollback too) must still get through. nginx itself plays no part in the lock: `true`
// stands in for `nginx -t` and `nginx -s reload`, and a small server answers the state URL the
// way the reloaded nginx would, or keeps answering the old state (`stuck`) so an apply waits.

const SCRIPT = fileURLToPath(new URL('../../examples/command/nginx-split.mjs', import.meta.url));
const TRUE = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p)) ?? 'true';
const FALSE = ['/usr/bin/false', '/bin/false'].find((p) => existsSync(p)) ?? 'false';

let dir: string;
let server: Server;
let stateUrl: string;
let stuck = false;
let stateRequests = 0;
/** Resolves at the next request for the state: an apply holds the lock by then. */
let nextStateRequest: () => void = () => {};

const lockFile = () => join(dir, '.model-gate.lock');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-nginx-lock-'));
  await writeFile(
    join(dir, 'upstreams.json'),
    JSON.stringify({ v1: '127.0.0.1:9001', v2: '127.0.0.1:9002' }),
  );
  // The "nginx" runs: this test process's PID, so apply reloads and waits for the new state.
  await writeFile(join(dir, 'nginx.pid'), String(process.pid));
  await mkdir(join(dir, 'conf.d'), { recursive: true });
  server = createServer(async (_req, res) => {
    stateRequests += 1;
    nextStateRequest();
    const conf = await readFile(join(dir, 'conf.d', 'model-gate-state.conf'), 'utf8').catch(() => '');
    const live = /return 200 '(.*)';/.exec(conf)?.[1];
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(stuck || !live ? JSON.stringify({ stable: { version: 'v1' }, generation: 0 }) : live);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stateUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/_model-gate/state`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  stuck = false;
  stateRequests = 0;
  await rm(lockFile(), { force: true });
});

const applyArgs = (nginx = TRUE) => [
  SCRIPT,
  'apply',
  '--prefix',
  dir,
  '--state-url',
  stateUrl,
  '--nginx',
  nginx,
];

const target = (more: Partial<CommandTargetConfig> = {}, nginx = TRUE) =>
  commandTarget(
    {
      type: 'command',
      apply: [
        process.execPath,
        ...applyArgs(nginx),
        '--stable',
        '{{stable}}',
        '--candidate',
        '{{candidate}}',
        '--weight',
        '{{weight}}',
      ],
      read: [process.execPath, SCRIPT, 'read', '--state-url', stateUrl],
      timeoutMs: 20_000,
      settleTimeoutMs: 0,
      pollIntervalMs: 0,
      strategies: ['canary'],
      ...more,
    },
    'fraud',
  );

describe('nginx-split.mjs lock', () => {
  it("is released when model-gate's timeout stops a slow apply, so the rollback gets through", async () => {
    stuck = true;
    const slow = target({ timeoutMs: 4_000 });
    await expect(slow.write(step('v1', 'v2', 10))).rejects.toThrow(
      /did not finish within 4s; it was stopped/,
    );
    // It was stopped while holding the lock: waiting for nginx to serve the new state.
    expect(stateRequests).toBeGreaterThan(0);
    expect(existsSync(lockFile())).toBe(false);
    stuck = false;
    await expect(target().write({ stable: { version: 'v1' } })).resolves.toBeTypeOf('function');
  });

  it('is taken over from an apply that was killed outright (SIGKILL) and is gone', async () => {
    stuck = true;
    const held = new Promise<void>((resolve) => {
      nextStateRequest = resolve;
    });
    const child = spawn(
      process.execPath,
      [...applyArgs(), '--stable', 'v1', '--candidate', 'v2', '--weight', '10'],
      { stdio: 'ignore' },
    );
    await held;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect((await readFile(lockFile(), 'utf8')).trim()).toBe(String(child.pid));
    stuck = false;
    await expect(target().write({ stable: { version: 'v1' } })).resolves.toBeTypeOf('function');
    expect(existsSync(lockFile())).toBe(false);
  });

  it('is released when apply fails half-way (nginx -t refuses the config)', async () => {
    await expect(target({}, FALSE).write(step('v1', 'v2', 10))).rejects.toThrow(
      /failed \(exit 1\): nginx-split: nginx -t refused the new config, the old one stays/,
    );
    expect(existsSync(lockFile())).toBe(false);
    await expect(target().write({ stable: { version: 'v1' } })).resolves.toBeTypeOf('function');
  });

  it('still makes a second apply wait while the first one runs', async () => {
    await writeFile(lockFile(), `${process.pid}\n`);
    const err = await target()
      .write({ stable: { version: 'v1' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toContain(
      `says the platform is busy: nginx-split: another traffic change holds the lock (${lockFile()}, pid ${process.pid})`,
    );
    expect(existsSync(lockFile())).toBe(true);
  });
});
