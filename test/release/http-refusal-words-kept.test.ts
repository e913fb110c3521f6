import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpTargetConfig } from '../../src/config/types.js';
import { httpTarget } from '../../src/targets/http-target.js';
import { passingCanaryRecordWorld, tickJob } from '../support/canary-record-world.js';

// A PR's canary on an http serving layer (127.0.0.1) in a release freeze: it refuses every traffic
// change with its own words, which end "; try again later". Those are the service's, quoted as it
// said them: model-gate rewrote them to "push a new commit to analyse again" as if they were its
// own advice on a busy platform (TargetBusyError), putting words in the service's mouth.
const FROZEN = 'traffic changes are frozen for the release window; try again later';

let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET' && path === '/capabilities') return send(200, { strategies: ['canary'] });
      if (req.method === 'GET' && path === '/traffic') return send(200, { stable: { version: 'v1' } });
      if (req.method === 'PUT' && path === '/traffic') return send(500, { error: FROZEN });
      return send(404, { error: `no ${req.method} ${path}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('an http service refusing the step to 10% in its own words ending "try again later"', () => {
  it('fails the release quoting the service as it said it', async () => {
    const w = await passingCanaryRecordWorld(
      `{ type: http, url: "${url}", strategies: [canary], settle-timeout: 5s, poll-interval: 1s }`,
    );
    w.ports.targetFor = (model) => httpTarget(model.target as HttpTargetConfig, model, w.clock);

    const [failed] = (await tickJob(w)).releases;
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed?.reason).toMatch(new RegExp(`^the serving platform failed: .*: ${FROZEN}$`));
    expect(failed?.phases.at(-1)?.note).toMatch(new RegExp(`: ${FROZEN}$`));
  });
});
