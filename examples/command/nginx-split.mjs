#!/usr/bin/env node
// The apply and read commands of model-gate's `command` target for an nginx that splits live
// traffic between model versions with `split_clients` (see examples/command/model-gate.yml).
//
//   node nginx-split.mjs apply --prefix DIR --state-url URL --stable V1 --candidate V2 --weight 10 [--nginx PATH]
//   node nginx-split.mjs read --state-url URL
//
// apply writes DIR/conf.d/model-gate-split.conf (upstreams and the split, included in `http`)
// and DIR/conf.d/model-gate-state.conf (a `location` answering the served state, included in
// the `server`), checks the whole config with `nginx -t`, reloads nginx and waits until the
// live workers answer the new state and the old ones take no more connections (/proc, on Linux). Backends per version come from DIR/upstreams.json:
// { "v1": "10.0.0.5:8080", "v2": "10.0.0.6:8080" }. It exits 75 when another apply holds the
// lock (model-gate waits and runs it again), 65 when a version has no backend there (nothing
// changed), 1 on any other failure, leaving the old config.
// The lock (DIR/.model-gate.lock) holds the apply's PID: it is released on every exit, on
// SIGTERM/SIGINT/SIGHUP too (model-gate's timeout stops a slow apply with SIGTERM), and a lock
// whose process is gone (killed with SIGKILL, a crashed host) is stale and taken over.
// read prints what the running nginx answers at URL: the state it really serves.
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { constants } from 'node:os';
import { join } from 'node:path';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

function die(message, code = 1) {
  process.stderr.write(`nginx-split: ${message}\n`);
  process.exit(code);
}

function options(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key?.startsWith('--') || argv[i + 1] === undefined) die(`expected --option value pairs, got ${JSON.stringify(argv.slice(i))}`, 2);
    out[key.slice(2)] = argv[i + 1];
  }
  return out;
}

function fetchState(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The PID written in `file`, or undefined when there is none (`nginx -t` leaves an empty pid file). */
function pidIn(file) {
  const pid = existsSync(file) ? Number.parseInt(readFileSync(file, 'utf8'), 10) : Number.NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether process `pid` exists (EPERM: it does, under another user). */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * The PIDs of the worker processes of nginx master `master` that still take new connections (not
 * "worker process is shutting down", which an old worker is called once it has closed its
 * listening sockets after a reload); undefined where /proc cannot tell (not Linux).
 */
function acceptingWorkers(master) {
  let entries;
  try {
    entries = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  const workers = [];
  for (const d of entries) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== master) continue;
      const title = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (title.startsWith('nginx: worker process') && !title.includes('shutting down')) workers.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return workers;
}

/** Whether the nginx master of this pid file runs. */
function running(pidFile) {
  const pid = pidIn(pidFile);
  return pid !== undefined && alive(pid);
}

let heldLock; // the lock file while this apply holds it

function releaseLock() {
  if (heldLock === undefined) return;
  // Only our own: never a lock another apply took over after this one was thought gone.
  if (pidIn(heldLock) === process.pid) rmSync(heldLock, { force: true });
  heldLock = undefined;
}

// process.exit (die) skips `finally`, and a signal ends the process without it: release here.
process.on('exit', releaseLock);
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => {
    releaseLock();
    process.exit(128 + constants.signals[signal]);
  });
}

/**
 * Takes `lock`, created whole with our PID in it (a hard link of a file already written, so
 * nobody sees it empty). A lock whose process is gone is stale: it is removed and taken.
 */
function takeLock(lock) {
  const mine = `${lock}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  let busy;
  for (let tries = 0; tries < 3 && heldLock === undefined && busy === undefined; tries++) {
    try {
      linkSync(mine, lock);
      heldLock = lock;
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') {
        rmSync(mine, { force: true });
        throw err;
      }
    }
    const owner = pidIn(lock);
    // No PID (a lock made by hand, or by an older version of this script): it cannot be judged.
    if (owner === undefined) busy = `another traffic change holds the lock (${lock}); remove it if no apply is running`;
    else if (alive(owner)) busy = `another traffic change holds the lock (${lock}, pid ${owner})`;
    else {
      process.stderr.write(`nginx-split: taking over the lock of pid ${owner}, which is gone\n`);
      // Only if it is still that one's: another apply may have taken it over meanwhile.
      if (pidIn(lock) === owner) rmSync(lock, { force: true });
    }
  }
  rmSync(mine, { force: true });
  if (heldLock === undefined) die(busy ?? `could not take the lock (${lock})`, 75);
}

async function apply(o) {
  for (const key of ['prefix', 'state-url', 'stable', 'candidate', 'weight']) if (o[key] === undefined) die(`--${key} is required`, 2);
  const weight = Number(o.weight);
  if (!Number.isFinite(weight) || weight < 0 || weight > 100) die(`--weight must be a percentage, got ${JSON.stringify(o.weight)}`, 2);
  const candidate = o.candidate === '' ? undefined : o.candidate;
  for (const v of [o.stable, candidate]) if (v !== undefined && !VERSION.test(v)) die(`unsafe version ${JSON.stringify(v)}`, 2);
  const upstreams = JSON.parse(readFileSync(join(o.prefix, 'upstreams.json'), 'utf8'));
  // 65 (EX_DATAERR): the state asked for cannot be served and nothing was changed, which
  // model-gate reports as "not deployed, got no traffic" instead of rolling back an outage.
  for (const v of [o.stable, candidate])
    if (v !== undefined && !upstreams[v])
      die(`no backend for version ${v} in ${join(o.prefix, 'upstreams.json')} (it has ${Object.keys(upstreams).join(', ') || 'none'}): add "${v}": "HOST:PORT" for its servers`, 65);

  const confDir = join(o.prefix, 'conf.d');
  mkdirSync(confDir, { recursive: true });
  takeLock(join(o.prefix, '.model-gate.lock'));
  try {
    const versions = [o.stable, ...(candidate && candidate !== o.stable ? [candidate] : [])];
    const name = (v) => `model_gate_${versions.indexOf(v)}`;
    const share = Math.round(weight * 100) / 100; // split_clients takes at most two decimals
    const split =
      !candidate || candidate === o.stable || share === 0
        ? [`    * ${name(o.stable)};`]
        : share === 100
          ? [`    * ${name(candidate)};`]
          : [`    ${share}% ${name(candidate)};`, `    * ${name(o.stable)};`];
    const previous = existsSync(join(confDir, 'model-gate-state.conf'))
      ? Number(/"generation":(\d+)/.exec(readFileSync(join(confDir, 'model-gate-state.conf'), 'utf8'))?.[1] ?? 0)
      : 0;
    const generation = previous + 1;
    const state = { stable: { version: o.stable }, ...(candidate ? { canary: { version: candidate, weight: share } } : {}), generation };
    const files = {
      'model-gate-split.conf': [
        '# Written by nginx-split.mjs for model-gate: do not edit.',
        ...versions.map((v) => `upstream ${name(v)} { server ${upstreams[v]}; }  # ${v}`),
        'split_clients "${request_id}" $model_gate_backend {',
        ...split,
        '}',
        '',
      ].join('\n'),
      'model-gate-state.conf': `location = /_model-gate/state { default_type application/json; return 200 '${JSON.stringify(state)}'; }\n`,
    };
    const backups = {};
    for (const [file, text] of Object.entries(files)) {
      const path = join(confDir, file);
      backups[file] = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      writeFileSync(`${path}.new`, text);
      renameSync(`${path}.new`, path);
    }
    const nginx = o.nginx ?? 'nginx';
    const base = ['-p', o.prefix, '-c', join(o.prefix, 'nginx.conf'), '-e', 'stderr'];
    try {
      execFileSync(nginx, [...base, '-t', '-q'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      for (const [file, text] of Object.entries(backups)) {
        if (text === undefined) rmSync(join(confDir, file), { force: true });
        else writeFileSync(join(confDir, file), text);
      }
      die(`nginx -t refused the new config, the old one stays: ${String(err.stderr ?? err.message).trim()}`);
    }
    if (!running(join(o.prefix, 'nginx.pid'))) return; // not running: it starts with this config
    const master = pidIn(join(o.prefix, 'nginx.pid'));
    // The workers of the old config: until each has stopped taking connections, a request (the
    // read after this apply) may still get the old config, whatever a new worker answered.
    const old = acceptingWorkers(master) ?? [];
    try {
      execFileSync(nginx, [...base, '-s', 'reload'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      die(`nginx -s reload failed: ${String(err.stderr ?? err.message).trim()}`);
    }
    for (let waited = 0; ; waited += 50) {
      const live = await fetchState(o['state-url']).catch(() => undefined);
      const oldAccepting = (acceptingWorkers(master) ?? []).some((pid) => old.includes(pid));
      if (live?.generation === generation && !oldAccepting) return;
      if (waited > 10_000) die(`nginx did not serve generation ${generation} alone within 10s after the reload`);
      await sleep(50);
    }
  } finally {
    releaseLock();
  }
}

async function read(o) {
  if (o['state-url'] === undefined) die('--state-url is required', 2);
  const { generation, ...state } = await fetchState(o['state-url']).catch((err) => die(`cannot read ${o['state-url']}: ${err.message}`));
  process.stdout.write(`${JSON.stringify(state)}\n`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'apply') await apply(options(rest));
else if (command === 'read') await read(options(rest));
else die('usage: nginx-split.mjs apply|read --option value ...', 2);
