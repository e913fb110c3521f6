import type { ModelConfig } from '../config/types.js';

// A watch-mode run whose withdrawal of a candidate the platform refused (a 503 on the rollback)
// tries again within the job, backing off, rather than leaving the candidate live until the next
// run: a refusal is often over in seconds. Each release's tries end after RETRY_WINDOW_MS, or its
// target's settle timeout where longer (each try may wait that long for a busy platform), and never
// after the run's max-wait.

/** The wait before the second try, doubled after each failed try up to MAX_DELAY_MS. */
const FIRST_DELAY_MS = 2_000;
const MAX_DELAY_MS = 60_000;
const RETRY_WINDOW_MS = 10 * 60_000;

/** How long a run keeps trying the withdrawal of a candidate of `model` (within its max-wait). */
export const withdrawalRetryMs = (model: ModelConfig): number =>
  Math.max(RETRY_WINDOW_MS, 'settleTimeoutMs' in model.target ? model.target.settleTimeoutMs : 0);

/** The tries of one run, by the index of the release it drives; `end`: the run's max-wait. */
export class WithdrawalRetries {
  private readonly tries = new Map<number, { at: number; delay: number; until: number }>();
  constructor(private readonly end: number) {}

  /** Whether release `i`'s withdrawal is due for a try at `now` (its first try always is). */
  due(i: number, now: number): boolean {
    const next = this.tries.get(i);
    return next === undefined || now >= next.at;
  }

  /** A try of release `i` failed at `now`: the next one comes after a longer wait, within `withinMs` of the first failure. */
  failed(i: number, now: number, withinMs: number): void {
    const last = this.tries.get(i);
    const delay = last ? Math.min(last.delay * 2, MAX_DELAY_MS) : FIRST_DELAY_MS;
    const until = last?.until ?? Math.min(now + withinMs, this.end);
    this.tries.set(i, { at: now + delay, delay, until });
  }

  /** When the next try of the releases `pending` is due; undefined when none has one left. */
  nextAt(pending: number[]): number | undefined {
    const times = pending.flatMap((i) => {
      const next = this.tries.get(i);
      return next && next.at <= next.until ? [next.at] : [];
    });
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}
