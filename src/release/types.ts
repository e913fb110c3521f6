import type { GateConfig } from '../config/types.js';

/** The durable state of one model's release: everything needed to resume it in a new job. */
export type ReleaseStatus =
  | 'analysing' // candidate deployed, phases running
  | 'ready' // every phase passed; candidate withdrawn from live traffic, awaiting merge
  | 'failed' // a gate failed; rolled back to stable
  | 'promoted' // candidate is the new stable
  | 'aborted' // PR closed unmerged, or aborted by hand; candidate withdrawn
  | 'superseded'; // a newer head replaced this analysis

export const TERMINAL: ReadonlySet<ReleaseStatus> = new Set([
  'ready',
  'failed',
  'promoted',
  'aborted',
  'superseded',
]);

/** One look at one gate. `waiting`: not enough candidate requests yet to judge. */
export type MeasurementVerdict = 'pass' | 'fail' | 'inconclusive' | 'error' | 'waiting';

export interface Measurement {
  at: number;
  verdict: MeasurementVerdict;
  canary?: number;
  baseline?: number;
  canaryRequests?: number;
  baselineRequests?: number;
  /**
   * A shadow's look: the copies of live requests its mirror did not run over the window, too many
   * being in flight (MetricSource.droppedCopies); `canaryRequests` are the copies it ran. The
   * report says both beside the mirror's share. Absent where the source does not count them,
   * outside a shadow, and in looks stored before it.
   */
  dropped?: number;
  /**
   * Where the baseline is the stable version's traffic over another span than the candidate's (at
   * 100% of live traffic: the same length of time just before the switch, threshold-gate.ts), that
   * span: the report says so beside the value. Absent when both arms share the look's window, and
   * in looks stored before it.
   */
  baselineWindow?: {
    since: number;
    until: number;
    /**
     * The version whose switch the span ends at, where that is an earlier candidate's
     * (Release.earlierLive), not this phase's: the report names it. Absent otherwise, and in looks
     * stored before it.
     */
    switchOf?: string;
  };
  /** Why, in words: the bound that was crossed, the data that was missing. */
  note?: string;
  /** What a statistical judge saw: the effect with its interval and the strength of evidence. */
  evidence?: Evidence;
  /**
   * While the candidate's request count has not grown since an earlier look of the phase: that
   * look's `at` and the stable version's request count then (gates/stopped-candidate.ts). Absent
   * otherwise, and in looks stored before it.
   */
  stall?: { since: number; baseline: number };
  /**
   * An inconclusive look whose histogram_quantile value is only the largest finite bucket bound,
   * the quantile being beyond it (gates/quantile-beyond-buckets.ts, and latency-gate.ts
   * beyondBoundsLook): data that says the value is above what the histogram can place against the
   * limit, not missing data, so must-have-data: false does not let its step pass (tick.ts settle).
   * Absent otherwise, and in looks stored before it.
   */
  beyondBuckets?: true;
  /**
   * The arms whose value is only a floor: their quantile lies beyond the histogram's largest finite
   * bucket bound, which is the value stored (histogram_quantile's answer), so the report shows it as
   * `> L`. Set on any look that knows it (latency-gate.ts, threshold-gate.ts); absent when neither
   * arm's is, and in looks stored before it.
   */
  floors?: { canary?: true; baseline?: true };
  /**
   * The arms whose value a histogram interpolated inside a bucket: that bucket's bounds (the bound
   * below, 0 under the first; the bound above). The histogram only knows the quantile lies between
   * them, so the report shows the range with the value as an estimate (`100–250 ms (≈206.0)`).
   * Set by latency-gate.ts; absent for a value on a bound, beyond the last one (floors) or from
   * raw samples, and in looks stored before it.
   */
  inBucket?: { canary?: [number, number]; baseline?: [number, number] };
  /**
   * An error look a rate limit refused that said when it resets: that reset, epoch ms (the source's
   * RateLimitedError). Until then the look is not counted against consecutive-error-limit
   * (threshold-gate.ts foldMeasurement). Absent otherwise, and in looks stored before it.
   */
  rateLimitedUntil?: number;
}

export interface Evidence {
  /** The judge that decided, e.g. `sequential-binomial`, `mann-whitney`. */
  method: string;
  /** Candidate relative to baseline, e.g. a rate ratio of 1.9 (the meaning depends on the method). */
  effect?: number;
  interval?: [number, number];
  eValue?: number;
  pValue?: number;
  /**
   * A conversion gate's planned sample: the candidate exposures at which its always-valid test has
   * the design's power. An A/B runs until its undecided conversion gates have reached it.
   */
  sampleSize?: number;
}

/** A gate's standing: `pending` until it has passed in the current phase, or failed for good. */
export interface GateState {
  name: string;
  kind: GateConfig['kind'];
  verdict: 'pending' | 'pass' | 'fail';
  failures: number;
  inconclusives: number;
  consecutiveErrors: number;
  last?: Measurement;
  /**
   * While `last` is a query error: the look before it that was not one, which the step's deadline
   * judges (an isolated error does not erase what the gate had seen). Absent otherwise.
   */
  lastUsable?: Measurement;
  /**
   * The phase's latest look whose quantile was beyond the histogram's largest bucket
   * (Measurement.beyondBuckets), until a later look places the value (a pass or a fail): the step's
   * deadline must decide on it even when the look it judges had no data (a scrape gap), as
   * must-have-data: false excuses missing data, not this (tick.ts settle). Absent otherwise.
   */
  lastBeyondBuckets?: Measurement;
  /** The looks' values over the release, thinned to a few dozen, for the report's chart. */
  series?: SeriesPoint[];
  /** The sentence shown when the gate failed. */
  reason?: string;
  /**
   * A short hash of the gate's config it is judged under (release/reconcile-config.ts): a run whose
   * config defines the gate otherwise judges it afresh. States stored before it have none.
   */
  fingerprint?: string;
}

/** A gate's standing before its first look: pending, nothing counted. */
export const pendingGate = ({ name, kind }: Pick<GateState, 'name' | 'kind'>): GateState => ({
  name,
  kind,
  verdict: 'pending',
  failures: 0,
  inconclusives: 0,
  consecutiveErrors: 0,
});

/** Seconds since the release started, the candidate's value and the baseline's (null: none). */
export type SeriesPoint = [number, number | null, number | null];

export interface PhaseRecord {
  name: string;
  /** Candidate share of live traffic, percent. */
  weight: number;
  startedAt: number;
  endedAt?: number;
  outcome?: 'passed' | 'failed' | 'withdrawn';
  note?: string;
  /** Passed at its deadline with gates undecided (must-have-data: false); `note` says which. */
  undecided?: true;
  /**
   * The switch to it failed and a read after it found the phase before's traffic still served
   * (tick.ts enterPhase, resumed-switch.ts switchLeftNothing): the record starts and ends at that
   * moment, its `weight` the share asked for, not taken. Absent otherwise (a switch that may have
   * half taken, a read that failed), and in records stored before it.
   */
  switchFailed?: true;
}

/**
 * How a release ended, where the report words it apart from `reason`: that is free text, masked
 * when stored (a one-character secret turns a version in it into `***`), so no marker in it can be
 * read back. States stored before this field have none, and get the report's plainer wording.
 */
export interface Ending {
  /** The serving platform refused or reverted a traffic change: no verdict on the candidate. */
  platformFailed?: true;
  /** A rollback went back to the candidate itself (it served before): it serves, not withdrawn. */
  rollbackToCandidate?: true;
  /**
   * The version an end by command left serving alone, where not `from` (a rollback to another
   * version): a run whose traffic change landed after it puts that back (watch.ts, guarded).
   */
  serves?: string;
  /**
   * Taking the candidate out of service failed: why it was to be (`why`) and the platform's
   * words (`note`); `laterTry` once a later run took it out. Keys the ledger masks as free text.
   * `unconfirmed`: the platform accepted the change but no read confirmed it (UnconfirmedChange):
   * the candidate is probably out. A flag, as the masked words cannot be matched; none before it.
   */
  withdrawFailed?: { why: string; note: string; laterTry?: true; unconfirmed?: true };
  /**
   * The platform refused the candidate's first traffic change, and a read after it found the
   * candidate without live traffic: it was never deployed (tick.ts, refused-first-change.ts).
   * `request`: the change itself (an unknown version, invalid weights: the PR must change it);
   * `access`: the credentials or names model-gate called with (fixed outside the PR).
   */
  firstChangeRefused?: 'request' | 'access';
  /**
   * The split check found that the split the platform served is not the configured one (a sample
   * ratio mismatch): the arms cannot be compared, so the analysis is invalid, no verdict on the
   * candidate (SPEC, section 4). The candidate's observed and configured shares (0 to 1) and what
   * was counted, which the report's heading names: figures, as the masked reason cannot be read.
   */
  splitMismatch?: SplitMismatch;
  /** A smoke test failed its phase: what it found (`note`), which the reason gives after the phase's name. */
  smokeFailed?: { note: string };
  /**
   * Its record alone was ended (an abort by hand of a candidate deployed on a target the config
   * no longer names): nothing was withdrawn, and the candidate may still serve there.
   */
  recordOnly?: true;
}

/** A sample ratio mismatch as Ending.splitMismatch keeps it; `units` absent where not known (phase-notes.ts). */
export interface SplitMismatch {
  observed: number;
  configured: number;
  units?: 'requests' | 'users';
}

/**
 * A span of time an earlier candidate of the model had live traffic beside (or instead of) the same
 * stable version: from its first live phase's start, the moment the stable version last served
 * alone before it, until it was withdrawn (or the next release began, while that was not confirmed).
 */
export interface LiveSpan {
  version: string;
  since: number;
  until: number;
}

/** The most spans a release keeps (Release.earlierLive): older ones are merged into one. */
export const MAX_EARLIER_LIVE = 5;

export interface Release {
  model: string;
  /** Version serving when the release began (what a rollback returns to). */
  from: string;
  /** The candidate. */
  to: string;
  pr?: number;
  headSha?: string;
  /**
   * The in-flight analysis of the PR this one superseded (pull-request.ts prepareModel), so every
   * report of it says the analysis restarted rather than fell back: its head (absent for the CLI's
   * working tree), candidate, and the phase it was in or `ready`; `withdrawPending` where taking it
   * out was not confirmed. Absent for a first run or a reopen, and in releases stored before it.
   */
  restartedFrom?: {
    head?: string;
    version: string;
    phase?: { name: string; weight: number };
    ready?: true;
    withdrawPending?: true;
  };
  status: ReleaseStatus;
  /** Index into the strategy's phases; -1 before the candidate is deployed. */
  phase: number;
  phaseStartedAt: number;
  startedAt: number;
  updatedAt: number;
  gates: GateState[];
  phases: PhaseRecord[];
  /** One sentence: why it failed, or what it is waiting for. */
  reason?: string;
  /**
   * The target its candidate was deployed on: its `identity` (Target.identity: the type and every
   * config field that addresses the platform, no secret), which runs compare, and its `description`
   * (secrets masked), which messages name. A run whose config names another target acts on nothing
   * of it, but an abort by hand, which ends its record alone (deployed-target.ts). Recorded with the
   * step that deploys the candidate; releases stored before it have none.
   */
  target?: { description: string; identity: Readonly<Record<string, string>> };
  /** The GitHub deployment that holds the model's canary slot for this release, once claimed. */
  canaryDeployment?: number;
  /**
   * The release ended, but taking its candidate out of service failed (the platform refused):
   * it may still get live traffic. It keeps the canary slot, and the next run tries again.
   */
  withdrawPending?: boolean;
  ending?: Ending;
  /**
   * Until when (epoch ms) a running job in watch mode drives the release (watch-lease.ts): schedule
   * ticks leave it alone until then. Absent when no job watches it.
   */
  watchedUntil?: number;
  /**
   * The end (epoch ms) of the hold an analysing release waits for, its gates passed (tick.ts
   * holdEndWords ends its reason): a report says the time left from it at the report's own time.
   * Absent otherwise, and in releases stored before it.
   */
  holdEndsAt?: number;
  /**
   * When its PR merged (epoch ms) while it was analysing under on-merge: analyze-then-promote (the
   * run that makes it ready promotes it, release/merged-ready.ts), or when its merge job could not
   * promote it, the platform refusing (a schedule tick tries again: promotionDue), or when its merge
   * job found it failed before the merge (merge-job.ts endedOnMerge: its report then gives what a
   * merged PR can do, and no run analyses its head again). States stored before it have none.
   */
  mergedAt?: number;
  /**
   * Ready, but the change that takes its candidate off its last phase's traffic (the strategy's
   * idle) is not confirmed: recorded with the pass, before the change (tick.ts passedAll). The
   * candidate may keep that traffic until a run finishes the change (release/pending-idle.ts).
   * Meaningful on a ready release only; states stored before it have none.
   */
  idlePending?: true;
  /**
   * Analysing, its switch into `phase` (a pass of the phase before) recorded before the change that
   * makes it, and not confirmed (tick.ts passPhase): a run lost in between leaves this record, and
   * the next run enters the phase again from it, reading whether the platform already serves it.
   * Meaningful on an analysing release only; states stored before it have none.
   */
  switchPending?: true;
  /**
   * What its PR changes of the model's release config (config-change-note.ts), as the PR's run
   * found it: kept on the record so every report of the release says it, a schedule tick's too.
   * `note` is free text (the ledger masks it). Absent where the PR leaves that config alone, and
   * in states stored before it.
   */
  configChanges?: { note: string };
  /**
   * When earlier candidates had live traffic against the same stable version, the last one just
   * before this release began (one it superseded, one of the PR closed then reopened, one that ended
   * ready or failed), and the spans that release kept in turn, oldest first (release/earlier-live.ts).
   * At 100% of live traffic the stable version's baseline is taken before the switch, but never over
   * these spans: it ends before such a candidate's switch (threshold-gate.ts). Absent where there was
   * none, and in releases stored before it (their baseline ends at the switch, as it did).
   */
  earlierLive?: LiveSpan[];
}

/** Whether the release's candidate is in flight: deployed for analysis, or ready and awaiting merge. */
export const inFlight = (r: Release): r is Release & { status: 'analysing' | 'ready' } =>
  r.status === 'analysing' || r.status === 'ready';

/**
 * Whether the release holds its model's canary slot: its candidate is in flight, or may still get
 * live traffic because withdrawing it failed.
 */
export const holdsSlot = (r: Release): boolean => inFlight(r) || r.withdrawPending === true;

/**
 * Whether another run ended or finished `own`, the same release as this run last saved it: it
 * freed the slot, or took it out of analysis (to ready, say), which a run never undoes.
 */
export const endedBy = (theirs: Release, own: Release): boolean =>
  (holdsSlot(own) && !holdsSlot(theirs)) || (own.status === 'analysing' && theirs.status !== 'analysing');

/**
 * Whether the release's candidate may have live traffic that a run must act on: it is being
 * analysed, or withdrawing it failed.
 */
export const candidateMayBeLive = (r: Release): boolean =>
  r.status === 'analysing' || r.withdrawPending === true;

/**
 * Whether a run must act on the release's candidate: it may have live traffic (candidateMayBeLive),
 * or a ready one's change to idle is not confirmed (pending-idle.ts), so it may keep its last phase's.
 */
export const candidateToActOn = (r: Release): boolean =>
  candidateMayBeLive(r) || (r.status === 'ready' && r.idlePending === true);
