import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandTargetConfig } from '../../src/config/types.js';
import { systemClock } from '../../src/core/clock.js';
import { TargetError } from '../../src/core/errors.js';
import { addSecret } from '../../src/core/redact.js';
import { commandTarget } from '../../src/targets/command-target.js';
import { TargetBusyError } from '../../src/targets/errors.js';
import { callCli } from '../../src/targets/platform-cli.js';
import { reconcile, withdrawTraffic } from '../../src/targets/reconcile.js';
import { step } from './drive.js';

// The command target driving a real nginx: the user's apply command (examples/command/
// nginx-split.mjs) rewrites its split_clients percentages and reloads it; live requests through
// nginx reach two real upstream HTTP servers, one per model version, and are counted.

const SCRIPT = fileURLToPath(new URL('../../examples/command/nginx-split.mjs', import.meta.url));
const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

let dir: string;
let nginx: ChildProcess | undefined;
let nginxPort: number;
const upstreams: Server[] = [];
let config: CommandTargetConfig;
const stateUrl = () => `http://127.0.0.1:${nginxPort}/_model-gate/state`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function upstream(version: string): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

/** Sends `n` requests through nginx (a new connection each) and counts the versions that answered. */
async function countVersions(n = 300): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const one = async () => {
    const res = await request(`http://127.0.0.1:${nginxPort}/predict`, { reset: true });
    const { version } = (await res.body.json()) as { version: string };
    counts[version] = (counts[version] ?? 0) + 1;
  };
  for (let sent = 0; sent < n; sent += 25)
    await Promise.all(Array.from({ length: Math.min(25, n - sent) }, one));
  return counts;
}

const share = (counts: Record<string, number>, version: string) =>
  (counts[version] ?? 0) / Object.values(counts).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  if (!NGINX) throw new Error('nginx is not installed: apt-get install -y nginx (.ci/run does it)');
  dir = await mkdtemp(join(tmpdir(), 'model-gate-nginx-'));
  await chmod(dir, 0o755);
  for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    await mkdir(join(dir, 'tmp', sub), { recursive: true });
    await chmod(join(dir, 'tmp', sub), 0o777);
  }
  nginxPort = await freePort();
  const [p1, p2] = [await upstream('v1'), await upstream('v2')];
  await writeFile(
    join(dir, 'upstreams.json'),
    JSON.stringify({ v1: `127.0.0.1:${p1}`, v2: `127.0.0.1:${p2}` }),
  );
  await writeFile(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp/client_body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  include ${dir}/conf.d/model-gate-split.conf;
  server {
    listen 127.0.0.1:${nginxPort};
    include ${dir}/conf.d/model-gate-state.conf;
    location / { proxy_pass http://$model_gate_backend; }
  }
}
`,
  );
  const apply = [SCRIPT, 'apply', '--prefix', dir, '--state-url', stateUrl(), '--nginx', NGINX];
  config = {
    type: 'command',
    apply: [
      process.execPath,
      ...apply,
      '--stable',
      '{{stable}}',
      '--candidate',
      '{{candidate}}',
      '--weight',
      '{{weight}}',
    ],
    read: [process.execPath, SCRIPT, 'read', '--state-url', stateUrl()],
    timeoutMs: 20_000,
    // A busy apply (exit 75) is run again for a short while only here.
    settleTimeoutMs: 200,
    pollIntervalMs: 50,
    strategies: ['canary'],
  };
  // The starting config (nginx is not running yet, so it is only written): v1 serves.
  await commandTarget(config, 'fraud').write({ stable: { version: 'v1' } });
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  nginx.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  for (let i = 0; ; i++) {
    const up = await request(stateUrl(), { reset: true }).then(
      (r) => r.body.text().then(() => r.statusCode === 200),
      () => false,
    );
    if (up) break;
    if (i > 100 || nginx.exitCode !== null) throw new Error(`nginx did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}, 30_000);

afterAll(async () => {
  if (nginx?.pid !== undefined && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx?.once('exit', resolve));
    process.kill(nginx.pid, 'SIGQUIT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (nginx.exitCode === null) process.kill(nginx.pid, 'SIGKILL');
  }
  await Promise.all(upstreams.map((s) => new Promise((resolve) => s.close(resolve))));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('command target driving a real nginx', () => {
  it('moves live traffic between two real upstreams as the canary steps, then promotes', async () => {
    const target = commandTarget(config, 'fraud');
    expect(share(await countVersions(), 'v2')).toBe(0);

    await reconcile(target, step('v1', 'v2', 10));
    const at10 = await countVersions(400);
    expect(share(at10, 'v2')).toBeGreaterThan(0.03);
    expect(share(at10, 'v2')).toBeLessThan(0.2);

    await reconcile(target, step('v1', 'v2', 50));
    const at50 = await countVersions(400);
    expect(share(at50, 'v2')).toBeGreaterThan(0.38);
    expect(share(at50, 'v2')).toBeLessThan(0.62);

    await reconcile(target, step('v1', 'v2', 0));
    expect(await countVersions(200)).toEqual({ v1: 200 });

    await expect(reconcile(target, withdrawTraffic('v2'))).resolves.toEqual({ stable: { version: 'v2' } });
    expect(await countVersions(200)).toEqual({ v2: 200 });
  });

  it('rolls a failing canary back: every request reaches the stable upstream again', async () => {
    const target = commandTarget(config, 'fraud');
    await reconcile(target, withdrawTraffic('v1'));
    await reconcile(target, step('v1', 'v2', 25));
    expect(share(await countVersions(400), 'v2')).toBeGreaterThan(0.12);
    await reconcile(target, withdrawTraffic('v1'));
    expect(await countVersions(200)).toEqual({ v1: 200 });
  });

  it('catches an apply command that exited 0 but changed nothing', async () => {
    const lazy = commandTarget({ ...config, apply: [process.execPath, '-e', 'process.exit(0)'] }, 'fraud');
    await expect(reconcile(lazy, step('v1', 'v2', 10))).rejects.toThrow(
      new TargetError(
        `command target ${process.execPath} for fraud serves v1 100% after being asked for v1 90% / v2 10%`,
      ),
    );
    expect(await countVersions(100)).toEqual({ v1: 100 });
  });

  it('reports a busy platform (exit 75) and a config nginx refuses, keeping the old one', async () => {
    await writeFile(join(dir, '.model-gate.lock'), '');
    const err = await reconcile(commandTarget(config, 'fraud'), step('v1', 'v2', 10)).catch(
      (e: unknown) => e,
    );
    await rm(join(dir, '.model-gate.lock'));
    expect(err).toBeInstanceOf(TargetBusyError);
    expect((err as Error).message).toContain(
      `the apply command \`${process.execPath}\` (14 arguments) says the platform is busy: nginx-split: another traffic change holds the lock`,
    );

    const upstreamsFile = join(dir, 'upstreams.json');
    const saved = await readFile(upstreamsFile, 'utf8');
    await writeFile(upstreamsFile, JSON.stringify({ ...JSON.parse(saved), v3: 'not a host:port' }));
    await expect(reconcile(commandTarget(config, 'fraud'), step('v1', 'v3', 10))).rejects.toThrow(
      `the apply command \`${process.execPath}\` (14 arguments) failed (exit 1): nginx-split: nginx -t refused the new config, the old one stays`,
    );
    await writeFile(upstreamsFile, saved);
    expect(await countVersions(100)).toEqual({ v1: 100 });
  });

  it('passes versions as whole arguments and in the environment, never through a shell', async () => {
    const out = join(dir, 'argv.json');
    const record = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(1), env: [process.env.MODEL_GATE_STABLE, process.env.MODEL_GATE_CANDIDATE, process.env.MODEL_GATE_WEIGHT] }))`;
    const target = commandTarget(
      {
        ...config,
        apply: [process.execPath, '-e', record, '--', '{{stable}}', '{{candidate}}', '{{weight}}'],
      },
      'fraud',
    );
    await target.write(step('v1', '$(id); rm -rf / `x` "y"', 12.5));
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual({
      argv: ['v1', '$(id); rm -rf / `x` "y"', '12.5'],
      env: ['v1', '$(id); rm -rf / `x` "y"', '12.5'],
    });
    await target.write({ stable: { version: 'v1' } });
    expect(JSON.parse(await readFile(out, 'utf8')).argv).toEqual(['v1', '', '0']);
  });

  it('tells apply about a shadow and a sticky split, and reads them back from read', async () => {
    // A platform of the user's own, kept in a file: apply writes what it is told, read prints it.
    const served = join(dir, 'served.json');
    const apply = `const [s, c, w, m, ms, h] = process.argv.slice(1); const t = { stable: { version: s } };
      if (c) t.canary = { version: c, weight: Number(w) };
      if (m) t.mirror = { version: m, share: Number(ms) };
      if (h) t.sticky = { header: h };
      require('fs').writeFileSync(${JSON.stringify(served)}, JSON.stringify(t));`;
    const own = commandTarget(
      {
        ...config,
        apply: [
          process.execPath,
          '-e',
          apply,
          '--',
          '{{stable}}',
          '{{candidate}}',
          '{{weight}}',
          '{{mirror}}',
          '{{mirror-share}}',
          '{{sticky-header}}',
        ],
        read: [
          process.execPath,
          '-e',
          `process.stdout.write(require('fs').readFileSync(${JSON.stringify(served)}))`,
        ],
      },
      'fraud',
    );
    const shadow = {
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 0 },
      mirror: { version: 'v2', share: 25 },
    };
    await reconcile(own, shadow);
    expect(await own.read()).toEqual(shadow);
    const ab = { ...step('v1', 'v2', 50), sticky: { header: 'x-user-id' } };
    await reconcile(own, ab);
    expect(await own.read()).toEqual(ab);
    await reconcile(own, withdrawTraffic('v1'));
    expect(JSON.parse(await readFile(served, 'utf8'))).toEqual({ stable: { version: 'v1' } });
  });

  it('stops a command that hangs', async () => {
    const stuck = commandTarget(
      { ...config, apply: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 300 },
      'fraud',
    );
    await expect(stuck.write(step('v1', 'v2', 10))).rejects.toThrow(
      `the apply command \`${process.execPath}\` (2 arguments) did not finish within 300ms; it was stopped`,
    );
  });

  it('never shows an argument in a message: one may hold a secret from the environment', async () => {
    // As `apply: [node, -e, ..., --password, "${CMD_PASS}", "{{candidate}}", "{{weight}}"]` reads
    // once the environment is substituted.
    const SECRET = 'CMDPASS_s3cr3t';
    const run = (code: string) => [process.execPath, '-e', code, '--', '--password', SECRET];
    const target = (apply: string[], read = run('process.exit(2)'), timeoutMs = 10_000) =>
      commandTarget(
        { ...config, apply: [...apply, '{{candidate}}', '{{weight}}'], read, timeoutMs },
        'fraud',
      );
    const messageOf = (p: Promise<unknown>) =>
      p.then(
        () => '(no error)',
        (e: Error) => e.message,
      );
    const failing = run("console.error('deploy: refused'); process.exit(1)");
    const busy = run("console.error('deploy: locked'); process.exit(75)");
    const stuck = run('setInterval(() => {}, 1000)');
    const messages = [
      await messageOf(target(failing).write(step('v1', 'v2', 10))),
      await messageOf(target(busy).write(step('v1', 'v2', 10))),
      await messageOf(target(stuck, undefined, 300).write(step('v1', 'v2', 10))),
      await messageOf(target(failing).read()),
      await messageOf(target(failing, run("process.stdout.write('not json')")).read()),
      await messageOf(target(failing, run("process.stdout.write('{}')")).read()),
    ];
    const node = process.execPath;
    expect(messages).toEqual([
      `the apply command \`${node}\` (7 arguments) failed (exit 1): deploy: refused`,
      `command target ${node} for fraud did not settle within 200ms: the apply command \`${node}\` (7 arguments) says the platform is busy: deploy: locked; try again later`,
      `the apply command \`${node}\` (7 arguments) did not finish within 300ms; it was stopped (raise the target's timeout if the platform is just slow)`,
      `the read command \`${node}\` (5 arguments) failed (exit 2): (nothing on stderr)`,
      `the read command \`${node}\` (5 arguments) did not print JSON (got "not json")`,
      `the read command \`${node}\` (5 arguments) printed JSON of an unexpected shape: stable: Invalid input: expected object, received undefined`,
    ]);
    for (const message of messages) {
      expect(message).not.toContain(SECRET);
      expect(message).not.toContain('--password');
      expect(message).not.toContain('v2 10');
    }
  });

  it('hides a secret a failing command prints from its environment, as `set -x` or `curl -v` do', async () => {
    // The config passes it (`--token=${DEPLOY_TOKEN}`), so the action registers it as a secret.
    const SECRET = 'dpl_Zq81mW3xRv5Ty0';
    addSecret(SECRET);
    process.env.DEPLOY_TOKEN = SECRET;
    try {
      const echo = "console.error('+ deploy --token ' + process.env.DEPLOY_TOKEN);";
      const node = process.execPath;
      const target = (exit: number) =>
        commandTarget(
          {
            ...config,
            apply: [node, '-e', `${echo} process.exit(${exit})`],
            read: [node, '-e', "process.stdout.write('token=' + process.env.DEPLOY_TOKEN)"],
          },
          'fraud',
        );
      const messageOf = (p: Promise<unknown>) =>
        p.then(
          () => '(no error)',
          (e: Error) => e.message,
        );
      // A platform CLI (kubectl, aws, az, gcloud) that fails the same way.
      const cli = { program: node, description: 'endpoint fraud', classify: () => 'failed' as const };
      const timing = { timeoutMs: 10_000, settleTimeoutMs: 0, pollIntervalMs: 1 };
      expect([
        await messageOf(target(1).write(step('v1', 'v2', 10))),
        await messageOf(target(75).write(step('v1', 'v2', 10))),
        await messageOf(target(1).read()),
        await messageOf(callCli(cli, ['-e', `${echo} process.exit(1)`], timing, systemClock)),
      ]).toEqual([
        `the apply command \`${node}\` (2 arguments) failed (exit 1): + deploy --token ***`,
        `command target ${node} for fraud did not settle within 200ms: the apply command \`${node}\` (2 arguments) says the platform is busy: + deploy --token ***; try again later`,
        `the read command \`${node}\` (2 arguments) did not print JSON (got "token=***")`,
        expect.stringMatching(/ failed \(exit 1\) on endpoint fraud: \+ deploy --token \*\*\*$/),
      ]);
    } finally {
      delete process.env.DEPLOY_TOKEN;
    }
  });

  it('names a command killed by a signal', async () => {
    const killed = commandTarget(
      { ...config, apply: [process.execPath, '-e', "process.kill(process.pid, 'SIGTERM')"] },
      'fraud',
    );
    // Through coreutils `timeout` the signal itself is lost; the node watchdog keeps it.
    const err = await killed.write(step('v1', 'v2', 10)).catch((e: Error) => e);
    expect((err as Error).message).toMatch(
      /^the apply command `[^`]+` \(2 arguments\) failed \((killed by a signal|exit 143, SIGTERM)\): \(nothing on stderr\)$/,
    );
  });
});
