import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { runCli } from '../support/cli-process.js';
import { CLI_MODEL, cliRunConfig, cliServing, declareIn, repoAtV1 } from '../support/cli-run-world.js';

// The platform refused a release's first traffic change: the report said the candidate "was rolled
// back", its phase row that 10% was served, and advised a retry (an empty commit, a re-run) that
// gets the same answer. Nothing was deployed: the report says so, with the platform's words, the
// row shows 0% of the 10% asked, and the advice is what fixes it: the PR's version for a refused
// request, the credentials for refused access. `model-gate run release` as its own process.
vi.setConfig({ testTimeout: 90_000 });

/** The heading of a change refused for access: the credentials (401/403) or a wrong URL or name (404). */
const NOT_DEPLOYED_ACCESS =
  "🔌 Not deployed: the platform refused model-gate's credentials, or has nothing at the target's URL or names";

const THREE_STEPS =
  '{ type: canary, steps: [10, 50, 100], step-duration: 20s, min-requests: 150, interval: 1s }';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: CLI_MODEL, stable: 'v1' }] });
});
afterAll(async () => {
  await sandbox?.close();
});

/** The run's report, the URL of each server said as `<name>`, and its exit code. */
async function release(config: string, version: string, urls: Record<string, string>) {
  const repo = await repoAtV1(config);
  await declareIn(repo, version);
  const run = await runCli(repo.dir, ['run', 'release'], { SANDBOX_URL: sandbox.url, ...urls });
  let out = run.stdout;
  for (const [name, url] of Object.entries({ SANDBOX_URL: sandbox.url, ...urls }))
    out = out.replaceAll(url, `<${name}>`);
  return { code: run.code, lines: out.split('\n') };
}

describe('the first traffic change refused: not deployed, not rolled back', () => {
  it('a version the sandbox does not have: fix the version in the change', async () => {
    const { code, lines } = await release(cliRunConfig(THREE_STEPS), 'v9', {});
    const said = `sandbox fraud-detector at <SANDBOX_URL> refused: canary.version: unknown version "v9" of model fraud-detector; available: v1, v2, v3, v4; use a version the sandbox has, or add its artifact fraud-detector/v9.json to the sandbox's models directory`;
    expect(lines).toContain('model-gate: ❌ Not deployed: the platform refused the change');
    expect(lines).toContain(
      `  fraud-detector v9 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: ${said}; the same request gets the same answer: correct the version (or the release config) the platform refused, then commit your change and run again with --head HEAD to analyse that commit`,
    );
    expect(lines).toContain(`  step 1 of 3  0% (asked 10%)  0s      refused: ${said}`);
    expect(lines.join('\n')).not.toMatch(/rolled back|an empty one|10%\s+0s/);
    expect(code).toBe(1);
    expect(await cliServing(sandbox.url)).toEqual({ stable: { version: 'v1' } });
  });

  it('an http target refusing the PUT with 403 (a read-only token): fix the credentials', async () => {
    const layer = await readOnlyLayer();
    try {
      const config = cliRunConfig(THREE_STEPS).replace(
        `target: { type: sandbox, url: "\${SANDBOX_URL}" }`,
        `target: { type: http, url: "\${LAYER_URL}", strategies: [canary], settle-timeout: 5s, poll-interval: 1s }`,
      );
      const { code, lines } = await release(config, 'v2', { LAYER_URL: layer.url });
      const said =
        "serving layer at <LAYER_URL> refused PUT /traffic (HTTP 403): this token may only read traffic; check the credentials model-gate sends (the target's headers, or user:password in its url): expired, or without the permission";
      expect(lines).toContain(`model-gate: ${NOT_DEPLOYED_ACCESS}`);
      expect(lines).toContain(
        `  fraud-detector v2 was not deployed and got no traffic: the platform refused the switch to 10% of live traffic: ${said}; a re-run gets the same answer: fix the credentials or names the platform's answer points to, then commit your change and run again with --head HEAD to analyse that commit`,
      );
      expect(lines).toContain(`  step 1 of 3  0% (asked 10%)  0s      refused: ${said}`);
      expect(lines.join('\n')).not.toMatch(/rolled back|later try|10%\s+0s/);
      expect(code).toBe(1);
      // One refused PUT, and no second one to "roll back" what never took.
      expect(layer.puts).toBe(1);
    } finally {
      await layer.close();
    }
  });
});

describe('the first traffic change answered 404: no platform refused model-gate', () => {
  it('an http target with nothing at its URL: the heading says so, the line what to fix', async () => {
    const layer = await readOnlyLayer(404);
    try {
      const config = cliRunConfig(THREE_STEPS).replace(
        `target: { type: sandbox, url: "\${SANDBOX_URL}" }`,
        `target: { type: http, url: "\${LAYER_URL}", strategies: [canary], settle-timeout: 5s, poll-interval: 1s }`,
      );
      const { code, lines } = await release(config, 'v2', { LAYER_URL: layer.url });
      expect(lines).toContain(`model-gate: ${NOT_DEPLOYED_ACCESS}`);
      expect(lines.find((l) => l.startsWith('  fraud-detector v2 '))).toMatch(
        /^ {2}fraud-detector v2 was not deployed and got no traffic: .*nothing at <LAYER_URL>\/traffic.*check the target's url/,
      );
      expect(code).toBe(1);
      expect(layer.puts).toBe(1);
    } finally {
      await layer.close();
    }
  });
});

describe('a first traffic change that may have taken: reported as before, rolled back', () => {
  it.each([
    ['a 504 (the gateway gave up; the change may have landed)', 504, false],
    ['a 403, yet the candidate is live after it', 403, true],
  ])('%s', async (_, status, takes) => {
    const layer = await readOnlyLayer(status, takes);
    try {
      const config = cliRunConfig(THREE_STEPS).replace(
        `target: { type: sandbox, url: "\${SANDBOX_URL}" }`,
        `target: { type: http, url: "\${LAYER_URL}", strategies: [canary], settle-timeout: 2s, poll-interval: 1s }`,
      );
      const { lines } = await release(config, 'v2', { LAYER_URL: layer.url });
      expect(lines).toContain('model-gate: 🔌 Rolled back: the analysis could not run');
      expect(lines.find((l) => l.startsWith('  fraud-detector v2 '))).toMatch(
        /^ {2}fraud-detector v2 was rolled back to v1 /,
      );
    } finally {
      await layer.close();
    }
  });
});

/**
 * A serving layer of v1 answering every PUT with `status` (403: a token that may only read; 404:
 * nothing there, a URL that misses the layer's traffic route), the
 * change taken all the same where `takes` (the answer is no proof it did not land).
 */
async function readOnlyLayer(status = 403, takes = false) {
  const layer = { url: '', puts: 0, close: async () => {} };
  let served: unknown = { stable: { version: 'v1' } };
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'PUT') {
      layer.puts += 1;
      if (takes) served = JSON.parse(text);
      const error = { 403: 'this token may only read traffic', 404: 'not found' }[status];
      return send(status, { error: error ?? 'upstream timed out' });
    }
    if (req.url === '/capabilities') return send(200, { strategies: ['canary'], weights: 'fractional' });
    return send(200, { ...(served as object), updating: false });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  layer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  layer.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return layer;
}
