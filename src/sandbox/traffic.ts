/**
 * Live traffic for the sandbox: Poisson arrivals of seeded synthetic rows over keep-alive
 * connections, with a cap on requests in flight so a slow model cannot pile up sockets, and
 * optionally each row's label reported back as delayed outcome feedback.
 */
import { randomInt } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Random } from '../core/random.js';
import { type Row, syntheticRows, TRUE_MODEL } from './dataset.js';
import { STICKY_HEADER } from './http-io.js';

export interface TrafficOptions {
  /** Base URL of a sandbox, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Model to call; default: the sandbox's first model (`POST /predict`). */
  model?: string;
  /** Mean requests per second. */
  rps: number;
  /**
   * Seeds the rows, arrivals and users sent. Default: a fresh one per start, so each session draws
   * its own users (one fixed stream would put the same chance imbalance at the same point of every
   * session, where a split check would flag it every time).
   */
  seed?: number;
  /** When set, each request carries one of this many user ids (header x-user-id) for sticky splits. */
  userIds?: number;
  /**
   * Outcome feedback: `delayMs` after a prediction is answered (200, or 500 for a model error),
   * `{ id, label }` with the row's true label goes to the feedback route. Whether the request
   * converted is drawn by the sandbox (its `conversionRate` times the serving version's
   * `conversionFactor`), so the generator needs to know nothing about the versions.
   */
  feedback?: { delayMs: number };
  /**
   * Added to every feature of every request: a change in the population the model sees (what a
   * drift watch is for), which moves the stable model's scores without touching the model.
   */
  shift?: number;
  /**
   * With `shift`: requests arriving before this many ms after the start go unshifted, the rest are
   * shifted, so a drift watch can compare a window after the change with one before it. Default 0.
   */
  shiftAfterMs?: number;
}

export interface TrafficStats {
  sent: number;
  ok: number;
  failed: number;
  /** Feedback reports sent, accepted, and not accepted. */
  feedback: { sent: number; ok: number; failed: number };
}

export interface TrafficGenerator {
  /**
   * Stops sending and resolves once every request in flight has finished. Feedback not yet due
   * is dropped (the outcome never arrived); feedback already sent is waited for.
   */
  stop(): Promise<void>;
  stats(): TrafficStats;
}

/**
 * Users and outcomes, as the demo's A/B traffic and `model-gate sandbox --traffic` send them: each
 * request carries one of 50,000 user ids (x-user-id), the key a sticky (A/B) split needs, and
 * reports its label 100 ms after the answer, which the sandbox turns into a conversion credited
 * to the arm that served it.
 */
export const USERS_WITH_OUTCOMES = {
  userIds: 50_000,
  feedback: { delayMs: 100 },
} as const satisfies Partial<TrafficOptions>;

/** Features in every request the generator sends: a model it calls must have as many weights. */
export const TRAFFIC_FEATURES = TRUE_MODEL.weights.length;

export const MAX_IN_FLIGHT = 64;
/** Arrivals one turn of the event loop handles at most; the rest wait for the next turn. */
const MAX_ARRIVALS_PER_TURN = 1000;
/** Arrivals more than this far behind are dropped: the generator cannot catch up with them. */
const MAX_BACKLOG_MS = 1000;
/** Longest timer Node keeps (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The user id (x-user-id) of each request in turn: uniform over `userIds` ids, from a stream of
 * its own, so which users come does not depend on arrival times or the rows sent.
 */
export function userIdDraws(seed: number, userIds: number): () => string {
  const users = new Random(seed ^ 0x27d4eb2f);
  return () => `u${Math.floor(users.next() * userIds)}`;
}

export function startTraffic(opts: TrafficOptions): TrafficGenerator {
  if (!(Number.isFinite(opts.rps) && opts.rps > 0)) throw new RangeError(`rps: must be > 0, got ${opts.rps}`);
  if (opts.userIds !== undefined && !(Number.isInteger(opts.userIds) && opts.userIds > 0)) {
    throw new RangeError(`userIds: must be a positive integer, got ${opts.userIds}`);
  }
  if (opts.shift !== undefined && !Number.isFinite(opts.shift)) {
    throw new RangeError(`shift: must be a finite number, got ${opts.shift}`);
  }
  const shiftAfterMs = opts.shiftAfterMs ?? 0;
  if (!(Number.isFinite(shiftAfterMs) && shiftAfterMs >= 0)) {
    throw new RangeError(`shiftAfterMs: must be a number of ms >= 0, got ${opts.shiftAfterMs}`);
  }
  const feedbackDelay = opts.feedback?.delayMs;
  if (
    feedbackDelay !== undefined &&
    !(Number.isFinite(feedbackDelay) && feedbackDelay >= 0 && feedbackDelay <= MAX_TIMER_MS)
  ) {
    throw new RangeError(
      `feedback.delayMs: must be a number of ms from 0 to ${MAX_TIMER_MS}, got ${feedbackDelay}`,
    );
  }
  const seed = opts.seed ?? randomInt(2 ** 32);
  const rows = syntheticRows(seed);
  // Separate streams, so the rows sent do not depend on the arrival times drawn.
  const arrivals = new Random(seed ^ 0x5bd1e995);
  const nextUser = opts.userIds === undefined ? undefined : userIdDraws(seed, opts.userIds);
  const base = new URL(opts.url);
  const modelPath = opts.model === undefined ? '' : `/models/${encodeURIComponent(opts.model)}`;
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
  const meanGapMs = 1000 / opts.rps;
  const counts: TrafficStats = { sent: 0, ok: 0, failed: 0, feedback: { sent: 0, ok: 0, failed: 0 } };
  const inFlight = new Set<Promise<void>>();
  const feedbackDue = new Set<NodeJS.Timeout>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const startedAt = performance.now();
  let nextAt = startedAt;

  /** POSTs a JSON body; resolves with the status (0 when no response came), never rejects. */
  const post = (path: string, payload: unknown, extraHeaders: Record<string, string> = {}) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...extraHeaders,
    };
    const done = new Promise<number>((resolve) => {
      let settled = false;
      const finish = (status: number) => {
        if (settled) return;
        settled = true;
        resolve(status);
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
          res.once('end', () => finish(res.statusCode ?? 0));
          res.once('close', () => finish(0)); // a no-op after 'end'; catches cut responses
        },
      );
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', () => finish(0));
      req.end(body);
    });
    const tracked = done.then(() => {});
    inFlight.add(tracked);
    void tracked.then(() => inFlight.delete(tracked));
    return done;
  };

  const reportOutcome = (row: Row) => {
    counts.feedback.sent++;
    void post(`${modelPath}/feedback`, { id: row.id, label: row.label }).then((status) => {
      if (status === 200) counts.feedback.ok++;
      else counts.feedback.failed++;
    });
  };

  /** `at`: the arrival's scheduled time, so which rows are shifted does not hang on timer lateness. */
  const send = (at: number) => {
    const row = rows.next().value as Row;
    const headers: Record<string, string> = {};
    if (nextUser) headers[STICKY_HEADER] = nextUser();
    counts.sent++;
    const shift = at - startedAt >= shiftAfterMs ? (opts.shift ?? 0) : 0;
    const features = shift ? row.features.map((f) => f + shift) : row.features;
    void post(`${modelPath}/predict`, { id: row.id, features }, headers).then((status) => {
      if (status === 200) counts.ok++;
      else counts.failed++;
      // A model error was still served by an arm: its outcome counts too.
      if (feedbackDelay === undefined || stopped || (status !== 200 && status !== 500)) return;
      const due = setTimeout(() => {
        feedbackDue.delete(due);
        reportOutcome(row);
      }, feedbackDelay);
      feedbackDue.add(due);
    });
  };

  // Capped: at a rate so low the next arrival is further off than a timer can wait, a longer
  // timer would fire at once, over and over (with a TimeoutOverflowWarning each time); a capped
  // one fires early and tick() waits again.
  const untilNext = () => Math.min(MAX_TIMER_MS, Math.max(0, nextAt - performance.now()));

  // Absolute arrival times, so timer lateness does not lower the rate; arrivals while at the
  // in-flight cap are skipped (the rows they would have used stay for the next ones). A turn
  // handles at most MAX_ARRIVALS_PER_TURN arrivals and a backlog over MAX_BACKLOG_MS is dropped,
  // so a rate beyond what the machine can send never holds the event loop (the server, the
  // responses and a SIGINT all run between turns).
  const tick = () => {
    const now = performance.now();
    if (now - nextAt > MAX_BACKLOG_MS) nextAt = now;
    for (let n = 0; !stopped && nextAt <= now && n < MAX_ARRIVALS_PER_TURN; n++) {
      if (inFlight.size < MAX_IN_FLIGHT) send(nextAt);
      nextAt += arrivals.exponential(meanGapMs);
    }
    if (!stopped) timer = setTimeout(tick, untilNext());
  };
  nextAt += arrivals.exponential(meanGapMs);
  timer = setTimeout(tick, untilNext());

  let stopping: Promise<void> | undefined;
  return {
    stats: () => ({ ...counts, feedback: { ...counts.feedback } }),
    stop() {
      stopping ??= (async () => {
        stopped = true;
        clearTimeout(timer);
        for (const due of feedbackDue) clearTimeout(due);
        feedbackDue.clear();
        while (inFlight.size > 0) await Promise.all([...inFlight]);
        agent.destroy();
      })();
      return stopping;
    },
  };
}
