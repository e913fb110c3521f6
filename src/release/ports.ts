import type { ModelConfig } from '../config/types.js';
import type { Clock } from '../core/clock.js';
import type { Ledger } from '../ledger/ledger.js';
import type { MetricSource } from '../metrics/source.js';
import type { ObservationLine } from '../stats/observation.js';
import type { Target } from '../targets/target.js';
import type { FileReader } from '../version/changed-models.js';
import type { ReleaseContext } from './context.js';
import type { Release } from './types.js';

/** Where a PR stands: open, closed without merging, or merged. */
export type PullRequestStatus = 'open' | 'closed' | 'merged';

/** A PR as the platform has it now: where it stands, and its head commit where the platform tells it. */
export interface PullRequestState {
  state: PullRequestStatus;
  headSha?: string;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** The outside world as the engine sees it; the action and the CLI each build one. */
export interface Ports {
  ledger: Ledger;
  /**
   * The ledger read with one short try, no retry, no rate limit waited out: a rollback's reads
   * before its traffic change, which a stalled or failing GitHub must not hold back (LedgerUnread).
   * Never written through: every write (an end recorded just before the change too) goes through
   * `ledger`, which reads what it needs anew. Absent: `ledger` is read.
   */
  quickLedger?: Ledger;
  reader: FileReader;
  clock: Clock;
  log: Logger;
  targetFor(model: ModelConfig): Target;
  metricsFor(model: ModelConfig): MetricSource;
  /**
   * The files a PR touches, where the platform can tell cheaply (saves reading every model's version
   * file); undefined when it cannot tell them all (GitHub lists at most 3000): every one is read.
   */
  touchedFiles?(pr: number): Promise<ReadonlySet<string> | undefined>;
  /**
   * The head no longer changes the model's version and the PR's candidate of it was withdrawn:
   * pass the head's commit status for the model, saying why (where the platform has statuses).
   */
  passNoLongerChanged?(model: string, headSha: string, why: string): Promise<void>;
  /**
   * PR `number`'s state and head, where the platform can tell (GitHub; a PR job answers nothing of
   * its own PR): undefined when unknown. A schedule tick asks it of each release it drives
   * (closed-meanwhile.ts). Rejects with an Error that says why it could not be read.
   */
  pullRequestState?(number: number): Promise<PullRequestState | undefined>;
  /**
   * Called after every tick with the releases of this run, for live reports; `force`: written at
   * once whatever changed (a record other runs must read now, endThenWithdraw's); `once`: a forced
   * write tried once, no retry or rate limit waited out (the record before a traffic change).
   */
  onProgress?(releases: Release[], opts?: { force?: boolean; once?: boolean }): Promise<void> | void;
  /** Called as a release enters a phase, before its line is logged: the step log's group for it. */
  onPhaseEntered?(releases: Release[]): void;
  /**
   * Appends one judged gate look of `release` to its observation log, a line `model-gate analyze`
   * replays (observation-log.ts); absent: no log is kept. Never throws.
   */
  observe?(release: Release, line: ObservationLine): void;
}

export function contextFor(model: ModelConfig, ports: Ports): ReleaseContext {
  return {
    config: model,
    target: ports.targetFor(model),
    metrics: ports.metricsFor(model),
    clock: ports.clock,
  };
}
