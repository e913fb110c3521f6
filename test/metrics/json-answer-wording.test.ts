import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpJsonSource } from '../../src/metrics/http-json-source.js';
import { NoDataError } from '../../src/metrics/no-data.js';
import type { MetricWindow } from '../../src/metrics/source.js';

// What a metrics answer that arrived wrong is called. A body cut off mid-transfer read "cannot
// reach ...; check the url and that the server is up", though the server had answered; a count
// of 1e999 (an infinity once parsed) read "holds null there".

/**
 * /cut answers 200 with a Content-Length of 1000, sends 13 bytes and closes the connection;
 * /infinite answers a count too large for a number.
 */
let server: Server;
let url: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/cut')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"requests": ');
      // Once the head and the first bytes are out, the connection goes.
      setImmediate(() => req.socket.destroy());
      return;
    }
    const text = '{"requests": 1e999, "errors": -1e999}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const w: MetricWindow = { model: 'fraud', slot: 'canary', version: 'v2', since: 0, until: 60_000 };
const source = (path: string) =>
  httpJsonSource({
    type: 'http-json',
    url: `${url}${path}`,
    headers: {},
    timeoutMs: 5_000,
    requests: 'requests',
  });

describe('an answer cut off mid-transfer', () => {
  it('says the server answered and the connection closed early, not that it cannot be reached', async () => {
    const err = (await source('/cut')
      .requests(w)
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      new RegExp(
        `^http-json: ${url}/cut answered HTTP 200, but the connection closed before the whole answer arrived \\(.+\\): the server, or a proxy in between, cut it off; if it keeps happening, check their logs$`,
      ),
    );
    expect(err.message).not.toMatch(/cannot reach|check the url/);
  });
});

describe('a count of 1e999', () => {
  it('is no data, saying the answer holds an infinity, not null', async () => {
    const err = await source('/infinite')
      .requests(w)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoDataError);
    expect((err as Error).message).toBe(
      `http-json: the requests query matched nothing for the canary slot (version v2), which is no data, not 0: the answer of ${url}/infinite holds an infinity there; check the selector (metrics.requests); a count of 0 must be written as 0: "requests"`,
    );
    await expect(source('/infinite').count?.('errors', w)).rejects.toThrow(
      `the answer of ${url}/infinite holds a negative infinity there;`,
    );
  });
});
