import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { GitRepo } from '../support/git-repo.js';

// `model-gate run` with a command target and a webhook gate, each run its own process in a real
// repository, the ledger in a file: what reaches the terminal and the ledger when the platform's
// tool or the gate's service echoes a secret, or the platform reports a version no ledger holds.
const DEPLOY_TOKEN = 'tok-s3cr3t-4242';
const HOOK_TOKEN = 'hook-9f8e7d6c';
// A deploy tool: `apply` logs its arguments and keeps the state it was given; with APPLY_FAILS
// it echoes its command line (as `set -x` does) and fails. `read` prints the state, else SERVING or v1.
const DEPLOY = `import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
const [what, ...args] = process.argv.slice(2);
if (what === 'read') {
  const initial = { stable: { version: process.env.SERVING ?? 'v1' } };
  console.log(existsSync('state.json') ? readFileSync('state.json', 'utf8') : JSON.stringify(initial));
} else {
  appendFileSync('applied.log', args.join(' ') + '\\n');
  if (process.env.APPLY_FAILS) {
    console.error('+ deploy ' + args.join(' '));
    console.error('error: 401 Unauthorized');
    process.exit(1);
  }
  const [, stable, candidate, weight] = args;
  const canary = candidate ? { canary: { version: candidate, weight: Number(weight) } } : {};
  writeFileSync('state.json', JSON.stringify({ stable: { version: stable }, ...canary }));
}
`;
const node = JSON.stringify(process.execPath);
const CONFIG = `version: 1
models:
  fraud-detector:
    source: { file: models/fraud-detector/model.yaml, key: version }
    strategy: { type: canary, steps: [50], interval: 1s }
    target:
      type: command
      apply: [${node}, deploy.mjs, apply, "--token=\${DEPLOY_TOKEN}", "{{stable}}", "{{candidate}}", "{{weight}}"]
      read: [${node}, deploy.mjs, read]
    metrics: { type: sandbox, url: "http://127.0.0.1:9" }
    gates:
      - { name: approval, kind: webhook, url: "\${HOOK_URL}", headers: { Authorization: "Bearer \${HOOK_TOKEN}" } }
`;

let repo: GitRepo;
let hook: Server;
let hookUrl: string;
const ledger = () => join(repo.dir, '.model-gate', 'ledger.json');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCli(repo.dir, ['run', ...args], { DEPLOY_TOKEN, HOOK_TOKEN, HOOK_URL: hookUrl, ...env });
const printed = (r: { stdout: string; stderr: string }) => `${r.stdout}${r.stderr}`;

beforeAll(async () => {
  // An approval service that refuses, quoting the credentials it was sent.
  hook = createServer((req, res) => {
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ verdict: 'fail', note: `not approved for ${req.headers.authorization}` }));
  });
  await new Promise<void>((listening) => hook.listen(0, '127.0.0.1', listening));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/check`;
  repo = await GitRepo.create();
  await repo.commit(
    {
      '.github/model-gate.yml': CONFIG,
      'deploy.mjs': DEPLOY,
      'models/fraud-detector/model.yaml': 'version: v1\n',
    },
    'v1',
  );
  await writeFile(join(repo.dir, 'models', 'fraud-detector', 'model.yaml'), 'version: v2\n');
});
afterAll(async () => {
  await new Promise((closed) => hook?.close(closed));
});
beforeEach(async () => {
  for (const file of ['.model-gate', 'applied.log', 'state.json'])
    await rm(join(repo.dir, file), { recursive: true, force: true });
});

describe('a secret the config reads from the environment', () => {
  it("is *** where a failing command's stderr echoes it, in the log lines and the report", async () => {
    const released = await run(['release'], { APPLY_FAILS: '1' });
    expect(released.code).toBe(1);
    // The tool was given it; its error is in the failure note, its whole stderr in the log.
    expect(await readFile(join(repo.dir, 'applied.log'), 'utf8')).toContain(`--token=${DEPLOY_TOKEN}`);
    expect(released.stdout).toMatch(
      /^ {2}fraud-detector: the serving platform failed: .*failed \(exit 1\): error: 401 Unauthorized/m,
    );
    expect(printed(released)).toMatch(/\+ deploy --token=\*\*\* v1 v2 50/);
    // Every apply fails, but the platform never gave v2 traffic: the retry reads that and settles it.
    expect(released.stdout).toMatch(/^model-gate: .*Rolled back: the analysis could not run/m);
    expect(printed(released)).not.toContain(DEPLOY_TOKEN);
    expect(await readFile(ledger(), 'utf8')).not.toContain(DEPLOY_TOKEN);
  });

  it("is *** where a gate's note quotes it", async () => {
    const released = await run(['release']);
    expect(released.code).toBe(1);
    expect(released.stdout).toMatch(/approval.*not approved for \*\*\*/);
    expect(printed(released)).not.toContain(HOOK_TOKEN);
  });
});

describe('a version the platform reports that a ledger cannot hold', () => {
  it('stops the release before anything is deployed, and the ledger stays usable', async () => {
    const released = await run(['release'], { SERVING: 'v1 beta' });
    expect(released.stderr).toBe(
      `model-gate run: cannot record the release of fraud-detector in the ledger ${ledger()}: releases.fraud-detector.from: "v1 beta" is not a valid version (letters, digits, . _ + - only, at most 128 characters)\n`,
    );
    expect(released.code).toBe(1);
    expect(existsSync(join(repo.dir, 'applied.log'))).toBe(false);
    // Not a file the next run refuses ("not one model-gate wrote"): it reads.
    const status = await run(['status']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
  });
});
