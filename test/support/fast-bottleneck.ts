import { createRequire } from 'node:module';

// Octokit's retry and throttling plugins send every request through three Bottleneck limiters,
// which yield to the event loop with setTimeout(0) several times a request and start each job
// with setTimeout(0) too: 1 ms or more each, some 15 to 25 ms a request against a stand-in that
// answers in 1 or 2, most of the time of a test that drives a release on the GitHub stand-in.
// Here both use setImmediate: the same yield to the event loop, without the timer's minimum.
// A limiter's real waits (minTime, a retry-after) are timers of their length and stay timers.
// Imported for its effect by the GitHub stand-in (fake-github/server.ts). The plugins share the
// one copy of bottleneck (2.19, unchanged since 2019) at the top of node_modules.

interface Job {
  options: { expiration?: number | null };
  doRun(): void;
  doExecute(
    limiter: unknown,
    clearGlobalState: () => void,
    run: (wait: number) => void,
    free: () => void,
  ): void;
  doExpire(clearGlobalState: () => void, run: (wait: number) => void, free: () => void): void;
}
interface Limiter {
  _limiter: unknown;
  _scheduled: Record<number, { timeout?: unknown; expiration?: unknown; job: Job }>;
  _run(index: number, job: Job, wait: number): unknown;
  _clearGlobalState(index: number): void;
  _free(index: number, job: Job): void;
}
interface Store {
  Promise: PromiseConstructor;
  yieldLoop(t?: number): Promise<void>;
}

const Bottleneck = createRequire(import.meta.url)('bottleneck/light.js');
const limiter: Limiter = Bottleneck.prototype;
const store: Store = Object.getPrototypeOf(new Bottleneck()._store);
const run = limiter._run;
// Only the two methods as bottleneck 2.19 writes them are replaced; another version fails here.
if (
  !String(store.yieldLoop).includes('setTimeout(resolve, t)') ||
  !String(run).includes('job.doExecute(this._limiter, clearGlobalState, run, free)')
) {
  throw new Error('test/support/fast-bottleneck.ts: bottleneck changed; check its yieldLoop and _run');
}

store.yieldLoop = function yieldLoop(this: Store, t = 0) {
  return new this.Promise<void>((resolve) => (t > 0 ? setTimeout(resolve, t) : setImmediate(resolve)));
};

/** Bottleneck's own _run, a job due now started by setImmediate (`stop`, never used by Octokit, cannot cancel it). */
limiter._run = function _run(this: Limiter, index: number, job: Job, wait: number) {
  if (wait > 0) return run.call(this, index, job, wait);
  job.doRun();
  const clearGlobalState = this._clearGlobalState.bind(this, index);
  const again = this._run.bind(this, index, job) as (wait: number) => void;
  const free = this._free.bind(this, index, job);
  const { expiration } = job.options;
  this._scheduled[index] = {
    expiration:
      expiration == null
        ? undefined
        : setTimeout(() => job.doExpire(clearGlobalState, again, free), expiration),
    job,
  };
  setImmediate(() => job.doExecute(this._limiter, clearGlobalState, again, free));
  return this._scheduled[index];
};
