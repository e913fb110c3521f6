/**
 * The embedded serving platform: real HTTP on 127.0.0.1, one or more models with a stable and
 * an optional canary slot, weighted routing, simulated compute, and metrics in two shapes
 * (Prometheus text for scrapers, exact windowed JSON for the built-in metric source).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { InputError } from '../core/errors.js';
import { Random } from '../core/random.js';
import type { TrafficState } from '../core/traffic.js';
import { HttpError, readJsonBody, SLOT_HEADER, STICKY_HEADER, sendError, sendJson } from './http-io.js';
import { MetricsStore } from './metrics-store.js';
import { ArtifactError, computeTimeMs, infer, listVersions, loadArtifact } from './model-artifact.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type WeightSample } from './prometheus-text.js';
import { parsePredictRequest, parseTrafficState } from './request-bodies.js';
import { type Deployment, Endpoint } from './router.js';

export interface SandboxOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Contains `<model>/<version>.json` artifacts. */
  modelsDir: string;
  /** Models served at start, with their stable version; the first one also answers `POST /predict`. */
  endpoints: { model: string; stable: string }[];
  /** Seeds simulated latency and routing. */
  seed?: number;
}

export { SLOT_HEADER, STICKY_HEADER } from './http-io.js';

export interface Sandbox {
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

/** How long close() lets in-flight requests finish before cutting their connections. */
const CLOSE_GRACE_MS = 2_000;

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InputError(`port: must be an integer from 0 to 65535, got ${port}`);
  }
  if (opts.endpoints.length === 0) throw new InputError('endpoints: at least one model must be served');
  const seed = opts.seed ?? 1;
  const endpoints = new Map<string, Endpoint>();
  for (const [i, e] of opts.endpoints.entries()) {
    if (endpoints.has(e.model)) throw new InputError(`endpoints[${i}].model: "${e.model}" is listed twice`);
    const versions = await listVersions(opts.modelsDir, e.model);
    if (!versions.includes(e.stable)) {
      throw new InputError(
        `endpoints[${i}].stable: unknown version "${e.stable}" of model ${e.model}; available: ${versions.join(', ') || 'none'}`,
      );
    }
    const artifact = await loadArtifact(opts.modelsDir, e.model, e.stable);
    // Each endpoint routes with its own stream, so adding a model does not shift another's split.
    endpoints.set(e.model, new Endpoint(e.model, artifact, new Random(seed + 7919 * (i + 1))));
  }
  const app = new SandboxApp(opts.modelsDir, endpoints, new Random(seed));
  const server = createServer((req, res) => {
    app.handle(req, res).catch((e: unknown) => fail(res, e));
  });
  await listen(server, port);
  const address = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, close: () => closeServer(server) };
}

class SandboxApp {
  private readonly store = new MetricsStore();
  private readonly first: Endpoint;

  constructor(
    private readonly modelsDir: string,
    private readonly endpoints: Map<string, Endpoint>,
    private readonly latencyRandom: Random,
  ) {
    this.first = [...endpoints.values()][0] as Endpoint;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const parts = pathParts(url.pathname);
    const route = (methods: string[]) => {
      if (!methods.includes(req.method ?? '')) {
        throw new HttpError(
          405,
          `${req.method} is not allowed on ${url.pathname}; use ${methods.join(' or ')}`,
          {},
          {
            allow: methods.join(', '),
          },
        );
      }
    };
    const [a, b, c, d] = parts;
    if (parts.length === 1 && a === 'predict') {
      route(['POST']);
      return this.predict(this.first, req, res);
    }
    if (parts.length === 3 && a === 'models' && c === 'predict') {
      route(['POST']);
      return this.predict(this.endpoint(b), req, res);
    }
    if (parts.length === 2 && a === 'admin' && b === 'models') {
      route(['GET']);
      return this.listModels(res);
    }
    if (parts.length === 4 && a === 'admin' && b === 'models' && d === 'traffic') {
      route(['GET', 'PUT']);
      const endpoint = this.endpoint(c);
      if (req.method === 'GET') return sendJson(res, 200, endpoint.traffic());
      return this.putTraffic(endpoint, req, res);
    }
    if (parts.length === 1 && a === 'metrics') {
      route(['GET']);
      return this.prometheus(res);
    }
    if (parts.length === 1 && a === 'metrics.json') {
      route(['GET']);
      return this.metricsJson(url, res);
    }
    if (parts.length === 1 && a === 'healthz') {
      route(['GET']);
      return sendJson(res, 200, { ok: true });
    }
    throw new HttpError(
      404,
      `no route ${req.method} ${url.pathname}; routes: POST /predict, POST /models/{model}/predict, ` +
        'GET /admin/models, GET|PUT /admin/models/{model}/traffic, GET /metrics, GET /metrics.json',
    );
  }

  private endpoint(model: string | undefined): Endpoint {
    const endpoint = model === undefined ? undefined : this.endpoints.get(model);
    if (!endpoint) {
      throw new HttpError(
        404,
        `unknown model ${JSON.stringify(model)}; served models: ${[...this.endpoints.keys()].join(', ')}`,
      );
    }
    return endpoint;
  }

  private async predict(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parsePredictRequest(await readJsonBody(req), endpoint.featureCount);
    const sticky = req.headers[STICKY_HEADER];
    const started = performance.now();
    const { slot, artifact } = endpoint.route(typeof sticky === 'string' ? sticky : undefined);
    await delay(computeTimeMs(artifact, this.latencyRandom));
    const result = infer(artifact, request.features);
    const latencyMs = performance.now() - started;
    const key = { model: endpoint.model, slot, version: artifact.version };
    // Recorded before answering, so a client that reads metrics after its response sees it counted.
    this.store.record(key, result.outcome, latencyMs, result.outcome === 'error' ? undefined : result.score);
    const headers = { [SLOT_HEADER]: slot };
    if (result.outcome === 'error') return sendJson(res, 500, { error: 'model error', ...key }, headers);
    sendJson(res, 200, { ...key, score: result.score, prediction: result.prediction }, headers);
  }

  private async listModels(res: ServerResponse): Promise<void> {
    const models = [];
    for (const e of this.endpoints.values()) {
      models.push({
        model: e.model,
        versions: await listVersions(this.modelsDir, e.model),
        traffic: e.traffic(),
      });
    }
    sendJson(res, 200, { models });
  }

  private async putTraffic(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const state = parseTrafficState(await readJsonBody(req));
    const versions = await listVersions(this.modelsDir, endpoint.model);
    const check = (field: string, version: string) => {
      if (!versions.includes(version)) {
        throw new HttpError(
          400,
          `${field}: unknown version ${JSON.stringify(version)} of model ${endpoint.model}; available: ${versions.join(', ')}`,
        );
      }
    };
    check('stable.version', state.stable.version);
    if (state.canary) check('canary.version', state.canary.version);
    // Everything is loaded and checked before the swap, so a failure leaves the old state serving.
    const deployment = await this.loadDeployment(endpoint.model, state);
    const stableFeatures = deployment.stable.weights.length;
    const canaryFeatures = deployment.canary?.artifact.weights.length;
    if (canaryFeatures !== undefined && canaryFeatures !== stableFeatures) {
      throw new HttpError(
        400,
        `canary.version: ${state.canary?.version} takes ${canaryFeatures} features but stable ` +
          `${state.stable.version} takes ${stableFeatures}; both slots must accept the same requests`,
      );
    }
    endpoint.apply(deployment);
    sendJson(res, 200, endpoint.traffic());
  }

  private async loadDeployment(model: string, state: TrafficState): Promise<Deployment> {
    try {
      const stable = await loadArtifact(this.modelsDir, model, state.stable.version);
      if (!state.canary) return { stable };
      const artifact = await loadArtifact(this.modelsDir, model, state.canary.version);
      return { stable, canary: { artifact, weight: state.canary.weight } };
    } catch (e) {
      if (e instanceof ArtifactError) throw new HttpError(500, e.message);
      throw e;
    }
  }

  private prometheus(res: ServerResponse): void {
    const weights: WeightSample[] = [];
    for (const e of this.endpoints.values()) {
      const t = e.traffic();
      const canaryWeight = t.canary?.weight ?? 0;
      weights.push({ model: e.model, slot: 'stable', version: t.stable.version, weight: 100 - canaryWeight });
      if (t.canary)
        weights.push({ model: e.model, slot: 'canary', version: t.canary.version, weight: canaryWeight });
    }
    const text = renderPrometheus(this.store.totals(), weights);
    res.writeHead(200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  private metricsJson(url: URL, res: ServerResponse): void {
    const endpoint = url.searchParams.has('model')
      ? this.endpoint(url.searchParams.get('model') ?? '')
      : this.first;
    const sinceText = url.searchParams.get('since');
    let since: number | undefined;
    if (sinceText !== null && sinceText !== '') {
      since = Number(sinceText);
      if (!Number.isFinite(since) || since < 0) {
        throw new HttpError(
          400,
          `since: must be a time in epoch milliseconds, got ${JSON.stringify(sinceText)}`,
        );
      }
    }
    const t = endpoint.traffic();
    sendJson(
      res,
      200,
      this.store.window(endpoint.model, { stable: t.stable.version, canary: t.canary?.version }, since),
    );
  }
}

function pathParts(pathname: string): string[] {
  try {
    return pathname
      .split('/')
      .filter((p) => p !== '')
      .map((p) => decodeURIComponent(p));
  } catch {
    throw new HttpError(400, `path ${JSON.stringify(pathname)} is not valid percent-encoding`);
  }
}

/** Last resort: a JSON error with a message, never a stack trace. */
function fail(res: ServerResponse, e: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const error =
    e instanceof HttpError
      ? e
      : new HttpError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  sendError(res, error);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new InputError(`cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}`));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // Idle keep-alive sockets go now; busy ones after their response, or after the grace period.
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}
