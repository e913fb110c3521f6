import * as core from '@actions/core';
import type { Release } from '../release/types.js';
import { liveTrafficText } from '../strategies/strategy.js';

/**
 * The step log, one collapsible group per phase: a new group opens whenever a release enters
 * a phase (the Actions log does not nest groups, so it closes the one before).
 */
export class PhaseLog {
  private open = false;
  private readonly seen = new Map<string, string>();

  constructor(private readonly log = { start: core.startGroup, end: core.endGroup }) {}

  begin(title: string): void {
    this.close();
    this.log.start(title);
    this.open = true;
  }

  close(): void {
    if (this.open) this.log.end();
    this.open = false;
  }

  /** For `onProgress`: a group for each phase a release has just entered. */
  progress(releases: readonly Release[]): void {
    for (const r of releases) {
      const phase = r.phases.at(-1);
      const key = `${r.to}/${r.phases.length}`;
      if (!phase || r.status !== 'analysing' || this.seen.get(r.model) === key) continue;
      this.seen.set(r.model, key);
      this.begin(`${r.model} ${r.from} → ${r.to}: ${phase.name} (${liveTrafficText(phase.weight)})`);
    }
  }
}
