import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

export const OPENAPI_PATH = fileURLToPath(new URL('../../../docs/http-target.openapi.yaml', import.meta.url));

interface Traffic {
  stable: { version: string };
  canary?: { version: string; weight: number };
  mirror?: { version: string; share: number };
  sticky?: { header: string };
}

export interface ServingLayerOptions {
  deployed: string[];
  stable: string;
  capabilities?: Record<string, unknown>;
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  token?: string;
}

/** Ways the serving layer misbehaves, each counted down per request. */
export interface ServingLayerFaults {
  /** PUT answered 409. */
  busy: number;
  /** Any request answered 429 with Retry-After: 0. */
  throttle: number;
  /** PUT answered 200 with the state asked for, but nothing changes. */
  silentRevert: number;
  /** PUT answered 202; GET reports `updating: true` for this many reads, then the change lands. */
  converge: number;
  /** Every answer is delayed this long. */
  delayMs: number;
  /** PUT answered 200, the traffic applied, but the mirror silently not set up. */
  dropMirror: number;
}

export interface ServingLayer {
  url: string;
  traffic: Traffic;
  faults: ServingLayerFaults;
  requests: { method: string; path: string; authorization?: string; body?: unknown }[];
  /** Requests refused for not matching docs/http-target.openapi.yaml, with Ajv's reasons. */
  contractViolations: string[];
  close(): Promise<void>;
}

/**
 * A serving layer written to docs/http-target.openapi.yaml, for the http target's tests:
 * request bodies are checked against the document's schemas (a mismatch is a 400 and a
 * recorded contract violation), state is kept in memory, and faults can be switched on.
 */
export async function startServingLayer(options: ServingLayerOptions): Promise<ServingLayer> {
  const doc = parse(readFileSync(OPENAPI_PATH, 'utf8'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi');
  const validState = ajv.compile({ $ref: 'openapi#/components/schemas/TrafficState' });

  let pending: { traffic: Traffic; reads: number } | undefined;
  const layer: ServingLayer = {
    url: '',
    traffic: { stable: { version: options.stable } },
    faults: { busy: 0, throttle: 0, silentRevert: 0, converge: 0, delayMs: 0, dropMirror: 0 },
    requests: [],
    contractViolations: [],
    close: async () => {},
  };
  const capabilities = options.capabilities ?? { strategies: ['canary'], weights: 'fractional' };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    }, layer.faults.delayMs);
  };

  const status = () => {
    if (pending) {
      if (pending.reads > 0) {
        pending.reads -= 1;
        return { ...layer.traffic, updating: true };
      }
      layer.traffic = pending.traffic;
      pending = undefined;
    }
    return { ...layer.traffic, updating: false };
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      return send(res, 400, { error: 'the body is not JSON' });
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/models\/fraud/, '');
    layer.requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, { error: 'missing or wrong bearer token' });
    }
    if (layer.faults.throttle > 0) {
      layer.faults.throttle -= 1;
      return send(res, 429, { error: 'too many requests' }, { 'retry-after': '0' });
    }
    if (req.method === 'GET' && path === '/capabilities') return send(res, 200, capabilities);
    if (req.method === 'GET' && path === '/traffic') return send(res, 200, status());
    if (req.method === 'PUT' && path === '/traffic') {
      if (!validState(body)) {
        const why = ajv.errorsText(validState.errors);
        layer.contractViolations.push(why);
        return send(res, 400, { error: `the body does not match TrafficState: ${why}` });
      }
      let asked = body as Traffic;
      if (layer.faults.busy > 0) {
        layer.faults.busy -= 1;
        return send(res, 409, { error: 'another traffic change is in progress' }, { 'retry-after': '1' });
      }
      const absent = [asked.stable.version, asked.canary?.version, asked.mirror?.version].find(
        (v) => v && !options.deployed.includes(v),
      );
      if (absent) return send(res, 422, { error: `version ${absent} is not deployed` });
      if (layer.faults.dropMirror > 0 && asked.mirror) {
        layer.faults.dropMirror -= 1;
        const { mirror: _, ...rest } = asked;
        asked = rest;
      }
      if (layer.faults.silentRevert > 0) {
        layer.faults.silentRevert -= 1;
        return send(res, 200, { ...asked, updating: false });
      }
      if (layer.faults.converge > 0) {
        pending = { traffic: asked, reads: layer.faults.converge };
        layer.faults.converge = 0;
        return send(res, 202, { ...layer.traffic, updating: true });
      }
      layer.traffic = asked;
      return send(res, 200, { ...asked, updating: false });
    }
    return send(res, 404, { error: `no ${req.method} ${path}` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  layer.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/models/fraud`;
  layer.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return layer;
}
