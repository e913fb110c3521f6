/**
 * Live traffic for the sandbox: Poisson arrivals of seeded synthetic rows over keep-alive
 * connections, with a cap on requests in flight so a slow model cannot pile up sockets.
 */
import { Agent, request } from 'node:http';
import { Random } from '../core/random.js';
import { syntheticRows } from './dataset.js';
import { STICKY_HEADER } from './http-io.js';

export interface TrafficOptions {
  /** Base URL of a sandbox, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Model to call; default: the sandbox's first model (`POST /predict`). */
  model?: string;
  /** Mean requests per second. */
  rps: number;
  seed?: number;
  /** When set, each request carries one of this many user ids (header x-user-id) for sticky splits. */
  userIds?: number;
}

export interface TrafficGenerator {
  /** Stops sending and resolves once every request in flight has finished. */
  stop(): Promise<void>;
  stats(): { sent: number; ok: number; failed: number };
}

export const MAX_IN_FLIGHT = 64;
const REQUEST_TIMEOUT_MS = 30_000;

export function startTraffic(opts: TrafficOptions): TrafficGenerator {
  if (!(Number.isFinite(opts.rps) && opts.rps > 0)) throw new RangeError(`rps: must be > 0, got ${opts.rps}`);
  if (opts.userIds !== undefined && !(Number.isInteger(opts.userIds) && opts.userIds > 0)) {
    throw new RangeError(`userIds: must be a positive integer, got ${opts.userIds}`);
  }
  const seed = opts.seed ?? 1;
  const rows = syntheticRows(seed);
  // Separate streams, so the rows sent do not depend on the arrival times drawn.
  const arrivals = new Random(seed ^ 0x5bd1e995);
  const users = new Random(seed ^ 0x27d4eb2f);
  const base = new URL(opts.url);
  const path = opts.model === undefined ? '/predict' : `/models/${encodeURIComponent(opts.model)}/predict`;
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const meanGapMs = 1000 / opts.rps;
  const counts = { sent: 0, ok: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let nextAt = performance.now();

  const send = () => {
    const row = rows.next().value as { id: string; features: number[] };
    const body = JSON.stringify({ id: row.id, features: row.features });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    };
    if (opts.userIds !== undefined) headers[STICKY_HEADER] = `u${Math.floor(users.next() * opts.userIds)}`;
    counts.sent++;
    const done = new Promise<void>((resolve) => {
      let settled = false;
      const finish = (ok: boolean) => {
        if (settled) return;
        settled = true;
        if (ok) counts.ok++;
        else counts.failed++;
        resolve();
      };
      const req = request(
        {
          host: base.hostname,
          port: base.port,
          path,
          method: 'POST',
          agent,
          headers,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          res.resume();
          res.once('end', () => finish(res.statusCode === 200));
          res.once('close', () => finish(false)); // a no-op after 'end'; catches cut responses
        },
      );
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', () => finish(false));
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };

  // Absolute arrival times, so timer lateness does not lower the rate; arrivals while at the
  // in-flight cap are skipped (the rows they would have used stay for the next ones).
  const tick = () => {
    const now = performance.now();
    while (!stopped && nextAt <= now) {
      if (inFlight.size < MAX_IN_FLIGHT) send();
      nextAt += arrivals.exponential(meanGapMs);
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, nextAt - performance.now()));
  };
  nextAt += arrivals.exponential(meanGapMs);
  timer = setTimeout(tick, Math.max(0, nextAt - performance.now()));

  let stopping: Promise<void> | undefined;
  return {
    stats: () => ({ ...counts }),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        while (inFlight.size > 0) await Promise.all([...inFlight]);
        agent.destroy();
      })();
      return stopping;
    },
  };
}
