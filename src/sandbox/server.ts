/**
 * The embedded serving platform: real HTTP on 127.0.0.1, one or more models with a stable and
 * an optional canary slot, weighted or sticky routing, mirroring to a shadow slot, rolling
 * instance pools, delayed outcome feedback, simulated compute, and metrics in two shapes
 * (Prometheus text for scrapers, exact windowed JSON for the built-in metric source).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InputError } from '../core/errors.js';
import { Random } from '../core/random.js';
import { loadDeployment } from './deployments.js';
import { HttpError, readJsonBody, SLOT_HEADER, sendError, sendJson } from './http-io.js';
import { MetricsStore } from './metrics-store.js';
import { MIRROR_MAX_IN_FLIGHT, Mirror } from './mirror.js';
import { conversionFactorOf, inferAfterCompute, listVersions, loadArtifact } from './model-artifact.js';
import { DEFAULT_CONVERSION_RATE, outcomeOf } from './outcomes.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type WeightSample } from './prometheus-text.js';
import { parseFeedback, parsePredictRequest, parseTrafficState } from './request-bodies.js';
import { Endpoint, type HeaderLookup } from './router.js';
import { SERVED_MAX_ENTRIES, ServedLog } from './served-log.js';

export interface SandboxOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Contains `<model>/<version>.json` artifacts. */
  modelsDir: string;
  /** Models served at start, with their stable version; the first one also answers `POST /predict`. */
  endpoints: { model: string; stable: string }[];
  /** Seeds simulated latency, routing, mirroring and conversions. */
  seed?: number;
  /**
   * Probability that a request converts when its feedback does not say, before the serving
   * version's `conversionFactor` (see outcomes.ts); default 0.1.
   */
  conversionRate?: number;
  /** Shadow copies in flight per model past which new copies are dropped (and counted); default 64. */
  mirrorMaxInFlight?: number;
  /** Epoch ms the metrics count by; default Date.now (tests set it to place requests in chosen seconds). */
  now?: () => number;
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
  const conversionRate = opts.conversionRate ?? DEFAULT_CONVERSION_RATE;
  if (!(Number.isFinite(conversionRate) && conversionRate >= 0 && conversionRate <= 1)) {
    throw new InputError(`conversionRate: must be a probability from 0 to 1, got ${conversionRate}`);
  }
  const mirrorMaxInFlight = opts.mirrorMaxInFlight ?? MIRROR_MAX_IN_FLIGHT;
  if (!(Number.isInteger(mirrorMaxInFlight) && mirrorMaxInFlight >= 1)) {
    throw new InputError(`mirrorMaxInFlight: must be a whole number >= 1, got ${mirrorMaxInFlight}`);
  }
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
    // Each endpoint routes with its own streams, so adding a model does not shift another's split.
    const routing = new Random(seed + 7919 * (i + 1));
    const mirroring = new Random((seed + 7919 * (i + 1)) ^ 0x2c1b3c6d);
    endpoints.set(e.model, new Endpoint(e.model, artifact, routing, mirroring));
  }
  const store = new MetricsStore(opts.now);
  const mirror = new Mirror(store, new Random(seed ^ 0x165667b1), mirrorMaxInFlight);
  const app = new SandboxApp(opts.modelsDir, endpoints, new Random(seed), store, mirror, {
    seed,
    conversionRate,
  });
  const server = createServer((req, res) => {
    app.handle(req, res).catch((e: unknown) => fail(res, e));
  });
  await listen(server, port);
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      app.close();
      await closeServer(server);
    },
  };
}

class SandboxApp {
  private readonly first: Endpoint;
  private readonly served = new ServedLog();
  /** Per endpoint, the end of its last traffic change in line (see inTurn). */
  private readonly changing = new Map<Endpoint, Promise<void>>();

  constructor(
    private readonly modelsDir: string,
    private readonly endpoints: Map<string, Endpoint>,
    private readonly latencyRandom: Random,
    private readonly store: MetricsStore,
    private readonly mirror: Mirror,
    /** What the conversions of feedback without `converted` are drawn with (see outcomes.ts). */
    private readonly conversions: { seed: number; conversionRate: number },
  ) {
    this.first = [...endpoints.values()][0] as Endpoint;
  }

  close(): void {
    this.mirror.close();
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
    if (parts.length === 5 && a === 'models' && c === 'versions' && parts[4] === 'predict') {
      route(['POST']);
      return this.predictVersion(this.endpoint(b), d as string, req, res);
    }
    if (parts.length === 1 && a === 'feedback') {
      route(['POST']);
      return this.feedback(this.first, req, res);
    }
    if (parts.length === 3 && a === 'models' && c === 'feedback') {
      route(['POST']);
      return this.feedback(this.endpoint(b), req, res);
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
    if (parts.length === 4 && a === 'admin' && b === 'models' && d === 'instances') {
      route(['GET']);
      return sendJson(res, 200, { instances: this.endpoint(c).instances() });
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
        'POST /models/{model}/versions/{version}/predict, POST /feedback, POST /models/{model}/feedback, GET /admin/models, ' +
        'GET|PUT /admin/models/{model}/traffic, GET /admin/models/{model}/instances, ' +
        'GET /metrics, GET /metrics.json, GET /healthz',
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
    const route = endpoint.route(headerLookup(req));
    if (route.healthy !== undefined) this.store.recordHealthy(endpoint.model, route.healthy);
    if (route.slot === undefined) {
      throw new HttpError(
        503,
        `no healthy instance of model ${endpoint.model}: all ${route.instances} are warming up`,
      );
    }
    const { slot, artifact } = route;
    const { result, latencyMs } = await inferAfterCompute(artifact, this.latencyRandom, request.features);
    const key = { model: endpoint.model, slot, version: artifact.version };
    // Recorded before answering, so a client that reads metrics after its response sees it counted.
    this.store.record(
      key,
      result.outcome,
      latencyMs,
      result.outcome === 'error' ? undefined : result.score,
      route.unkeyed,
      route.key,
    );
    if (request.id !== undefined) {
      this.served.remember(endpoint.model, request.id, {
        slot,
        version: artifact.version,
        prediction: result.outcome === 'error' ? undefined : result.prediction,
        conversionFactor: conversionFactorOf(artifact),
        feedback: false,
        ...(route.key === undefined ? {} : { user: route.key }),
      });
    }
    const shadow = route.mirror;
    if (shadow) {
      // The copy starts once the caller's response is out, and nothing of it reaches the caller.
      res.once('close', () => this.mirror.copy(endpoint.model, shadow, request.features, result));
    }
    const headers = { [SLOT_HEADER]: slot };
    const instance = route.instance === undefined ? {} : { instance: route.instance };
    if (result.outcome === 'error') {
      return sendJson(res, 500, { error: 'model error', ...key, ...instance }, headers);
    }
    sendJson(res, 200, { ...key, score: result.score, prediction: result.prediction, ...instance }, headers);
  }

  /**
   * A request to one deployed version, whatever the live split (a blue-green smoke test on green
   * before it takes traffic). It stays out of the metrics: the gates judge live traffic only.
   */
  private async predictVersion(
    endpoint: Endpoint,
    version: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const artifact = endpoint.deployedArtifact(version);
    if (!artifact) {
      const deployed = [...new Set(Object.values(endpoint.slotVersions()))].join(', ');
      throw new HttpError(
        404,
        `version ${JSON.stringify(version)} of model ${endpoint.model} is not deployed (deployed: ${deployed}); ` +
          'a direct request reaches only a deployed version',
      );
    }
    const request = parsePredictRequest(await readJsonBody(req), endpoint.featureCount);
    const { result } = await inferAfterCompute(artifact, this.latencyRandom, request.features);
    const key = { model: endpoint.model, version };
    if (result.outcome === 'error') return sendJson(res, 500, { error: 'model error', ...key });
    sendJson(res, 200, { ...key, score: result.score, prediction: result.prediction });
  }

  private async feedback(endpoint: Endpoint, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const feedback = parseFeedback(await readJsonBody(req));
    const served = this.served.find(endpoint.model, feedback.id);
    if (!served) {
      throw new HttpError(
        404,
        `id: unknown prediction ${JSON.stringify(feedback.id)} of model ${endpoint.model}; feedback must ` +
          `name the id sent with a prediction (the last ${SERVED_MAX_ENTRIES} of the last 2 hours are kept)`,
      );
    }
    if (served.feedback) {
      throw new HttpError(409, `id: feedback for ${JSON.stringify(feedback.id)} was already recorded`);
    }
    served.feedback = true;
    const { seed, conversionRate } = this.conversions;
    const outcome = outcomeOf(feedback, served, { seed, model: endpoint.model, conversionRate });
    const key = { model: endpoint.model, slot: served.slot, version: served.version };
    // The user comes from the request's own routing, so callers' feedback needs no key of its own.
    this.store.recordOutcome(key, outcome, served.user);
    const correct = outcome.correct === undefined ? {} : { correct: outcome.correct };
    sendJson(res, 200, { id: feedback.id, ...key, converted: outcome.converted, ...correct });
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
    // In turn with the model's other changes: loads take their own time, and a change that came
    // after (a rollback) must not be overwritten by an earlier one whose load finished later.
    const applied = this.inTurn(endpoint, async () => {
      endpoint.apply(await loadDeployment(this.modelsDir, endpoint.model, state));
      // Instances taken down for a warm-up count as not healthy from this moment.
      const health = endpoint.health();
      if (health) this.store.recordHealthy(endpoint.model, health.healthy);
      return endpoint.traffic();
    });
    sendJson(res, 200, await applied);
  }

  /** Runs `change` once the endpoint's changes that arrived before it are done, refused or not. */
  private inTurn<T>(endpoint: Endpoint, change: () => Promise<T>): Promise<T> {
    const turn = (this.changing.get(endpoint) ?? Promise.resolve()).then(change);
    this.changing.set(
      endpoint,
      turn.then(
        () => {},
        () => {},
      ),
    );
    return turn;
  }

  private prometheus(res: ServerResponse): void {
    const weights: WeightSample[] = [];
    for (const e of this.endpoints.values()) {
      const t = e.traffic();
      // A rolling pool's share is the share of its instances that were replaced.
      const canary = t.rolling
        ? { version: t.rolling.version, weight: (100 * t.rolling.replaced) / t.rolling.instances }
        : t.canary;
      const canaryWeight = canary?.weight ?? 0;
      weights.push({ model: e.model, slot: 'stable', version: t.stable.version, weight: 100 - canaryWeight });
      if (canary)
        weights.push({ model: e.model, slot: 'canary', version: canary.version, weight: canaryWeight });
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
    const since = epochMsParam(url, 'since');
    // Without `until` (older clients) the window runs up to now.
    const until = epochMsParam(url, 'until');
    if (since !== undefined && until !== undefined && until < since) {
      throw new HttpError(400, `until: must not be before since (${since}), got ${until}`);
    }
    const report = this.store.window(endpoint.model, endpoint.slotVersions(), since, until);
    // A default end (since defaults to the start, until to now) can still fall before the other.
    if (report.until < report.since) {
      throw new HttpError(
        400,
        since === undefined
          ? `until: must not be before since, which defaults to the sandbox's start (${report.since}), got ${until}`
          : `since: must not be after the sandbox's now (${report.until}), got ${since}: a window that has not begun has no counts (is the asking host's clock ahead of the sandbox's?)`,
      );
    }
    const health = endpoint.health();
    if (health) {
      const minHealthySeen = this.store.minHealthySeen(endpoint.model, since, until) ?? null;
      report.instances = { total: health.total, healthy: health.healthy, minHealthySeen };
    }
    const inFlight = this.mirror.inFlight(endpoint.model);
    if (endpoint.traffic().mirror || inFlight > 0) {
      report.mirror = { inFlight, maxInFlight: this.mirror.maxInFlight };
    }
    sendJson(res, 200, report);
  }
}

/** An optional query parameter holding a time in epoch milliseconds. */
function epochMsParam(url: URL, name: 'since' | 'until'): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return undefined;
  const ms = Number(text);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new HttpError(400, `${name}: must be a time in epoch milliseconds, got ${JSON.stringify(text)}`);
  }
  return ms;
}

function headerLookup(req: IncomingMessage): HeaderLookup {
  return (name) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
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
      // A port in use is the usual cause (another sandbox, a second demo): say what to do about it.
      const fix =
        e.code === 'EADDRINUSE'
          ? ': the port is in use; pick another with --port, or 0 for any free one'
          : e.code === 'EACCES' && port < 1024
            ? ': ports below 1024 need root: pick another with --port'
            : '';
      reject(new InputError(`cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}${fix}`));
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
