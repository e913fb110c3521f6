// One watch-mode run may drive several models, each looked at at its own `interval`: a model
// measured every 10m that shares a job with one measured every 30s is not looked at 20 times as
// often (its failure, inconclusive and error limits would shrink in wall time, and its metrics API
// take 20 times the load). The run also stops before a pass it could not end within its max-wait.

/**
 * When a watch-mode run next looks at each release it drives, by the release's index: its last
 * look's end and its model's `interval` later. A release not looked at yet is due at once.
 */
export class LookSchedule {
  private readonly dueAt = new Map<number, number>();
  private readonly longestMs = new Map<number, number>();

  /** Whether release `i` is due for a look at `now`. */
  due(i: number, now: number): boolean {
    const at = this.dueAt.get(i);
    return at === undefined || now >= at;
  }

  /** Release `i` was looked at from `start` to `end`; its model is looked at every `intervalMs`. */
  looked(i: number, start: number, end: number, intervalMs: number): void {
    this.dueAt.set(i, end + intervalMs);
    this.longestMs.set(i, Math.max(this.longestMs.get(i) ?? 0, end - start));
  }

  /** When the first of the releases `indices` is due: `now` for one not looked at yet, or overdue. */
  nextAt(indices: number[], now: number): number {
    return Math.max(now, Math.min(...indices.map((i) => this.dueAt.get(i) ?? now)));
  }

  /**
   * How long a pass over the releases `indices` may take: each one's longest look so far. Its first
   * look changed traffic (it deployed, or took a step), so a platform slow to confirm a change
   * shows there; a quiet look (seconds) does not hide it. Every release the run drives counts,
   * not only the first due: one that falls due while the pass runs is looked at in it.
   */
  passMs(indices: number[]): number {
    return indices.reduce((sum, i) => sum + (this.longestMs.get(i) ?? 0), 0);
  }
}
