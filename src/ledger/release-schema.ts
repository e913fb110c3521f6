import { z } from 'zod';
import { modelName } from '../config/fields.js';
import { configErrorMap, describeValue, formatPath } from '../config/messages.js';
import type { GateConfig } from '../config/types.js';
import {
  type Ending,
  type GateState,
  MAX_EARLIER_LIVE,
  type MeasurementVerdict,
  type PhaseRecord,
  type Release,
  type ReleaseStatus,
  type SplitMismatch,
} from '../release/types.js';
import { versionProblem } from '../version/validate-version.js';

// A release's state as a ledger stores it, read back at the edge. On GitHub it is JSON hidden in
// a PR comment that anyone with write access can edit, and its versions reach target calls
// (a rollback serves `from`, a promotion `to`): they pass the rules of a version read from a PR,
// and names, kinds and statuses must be ones model-gate writes.

/** Every member of a string union: one added to the type must be added here, or this fails to compile. */
const oneOf = <T extends string>(members: { [K in T]: K }) => z.enum(members);

/** A version as a PR's version file must give it: the ledger's versions reach target calls. */
export const version = z.string().superRefine((text, ctx) => {
  const problem = versionProblem(text);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', input: text, message: problem });
});

const SHA = /^[0-9a-fA-F]{7,64}$/;
const sha = z
  .string()
  .regex(SHA, { error: (issue) => `expected a commit SHA, got ${describeValue(issue.input)}` });

/** Milliseconds since the epoch, or since the release started. */
const time = z.number();
const count = z.int().min(0);

/** A figure JSON wrote as null (it was NaN or infinite): absent once read, as the report shows it. */
const figure = z
  .number()
  .nullish()
  .transform((x) => x ?? undefined);

const evidence = z.object({
  method: z.string(),
  effect: figure,
  interval: z
    .tuple([z.number().nullable(), z.number().nullable()])
    .nullish()
    .transform((i): [number, number] | undefined =>
      i && i[0] !== null && i[1] !== null ? [i[0], i[1]] : undefined,
    ),
  eValue: figure,
  pValue: figure,
  // Optional: ledgers written before A/Bs ran to their sample size have none.
  sampleSize: figure,
});

/** The bounds of the bucket a quantile was interpolated inside: below, above. */
const bucketRange = z.tuple([z.number(), z.number()]);

const measurement = z.object({
  at: time,
  verdict: oneOf<MeasurementVerdict>({
    pass: 'pass',
    fail: 'fail',
    inconclusive: 'inconclusive',
    error: 'error',
    waiting: 'waiting',
  }),
  canary: figure,
  baseline: figure,
  canaryRequests: figure,
  baselineRequests: figure,
  // Optional: looks stored before it have none (the report then says nothing of dropped copies).
  dropped: figure,
  // Optional: looks stored before it have none (the report then does not say which span it was);
  // its switchOf too (the report then says the span ends at the switch, as it did).
  baselineWindow: z.object({ since: time, until: time, switchOf: version.optional() }).optional(),
  note: z.string().optional(),
  evidence: evidence.optional(),
  // Optional: looks stored before it have none (a stall then counts from the next look on).
  stall: z.object({ since: time, baseline: z.number() }).optional(),
  // Optional: looks stored before it have none (must-have-data then decides, as it did).
  beyondBuckets: z.literal(true).optional(),
  // Optional: looks stored before it have none (their cells then show the bound bare, as they did).
  floors: z.object({ canary: z.literal(true).optional(), baseline: z.literal(true).optional() }).optional(),
  // Optional: looks stored before it have none (their cells then show the interpolated value bare).
  inBucket: z.object({ canary: bucketRange.optional(), baseline: bucketRange.optional() }).optional(),
  // Optional: looks stored before it have none (a rate-limited one among them then counts as an error).
  rateLimitedUntil: time.optional(),
});

const gate = z.object({
  name: z.string().min(1),
  kind: oneOf<GateConfig['kind']>({
    threshold: 'threshold',
    offline: 'offline',
    ratio: 'ratio',
    latency: 'latency',
    srm: 'srm',
    conversion: 'conversion',
    drift: 'drift',
    webhook: 'webhook',
  }),
  verdict: oneOf<GateState['verdict']>({ pending: 'pending', pass: 'pass', fail: 'fail' }),
  failures: count,
  inconclusives: count,
  consecutiveErrors: count,
  last: measurement.optional(),
  lastUsable: measurement.optional(),
  // Optional: gates stored before it have none (only their deadline look is then asked).
  lastBeyondBuckets: measurement.optional(),
  series: z.array(z.tuple([z.number(), z.number().nullable(), z.number().nullable()])).optional(),
  reason: z.string().optional(),
  // Optional: gates stored before it have none (they take the config's at the next look).
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{1,64}$/, { error: (issue) => `expected a hex hash, got ${describeValue(issue.input)}` })
    .optional(),
});

const phase = z.object({
  name: z.string(),
  weight: z.number().min(0).max(100),
  startedAt: time,
  endedAt: time.optional(),
  outcome: oneOf<NonNullable<PhaseRecord['outcome']>>({
    passed: 'passed',
    failed: 'failed',
    withdrawn: 'withdrawn',
  }).optional(),
  note: z.string().optional(),
  // Optional: phases stored before it have none.
  undecided: z.literal(true).optional(),
  switchFailed: z.literal(true).optional(),
});

// Optional, as each of its fields: releases stored before it have none.
const ending = z.object({
  platformFailed: z.literal(true).optional(),
  rollbackToCandidate: z.literal(true).optional(),
  serves: version.optional(),
  withdrawFailed: z
    .object({
      why: z.string(),
      note: z.string(),
      laterTry: z.literal(true).optional(),
      // Optional: records stored before it have none (read as refused, as they were worded).
      unconfirmed: z.literal(true).optional(),
    })
    .optional(),
  smokeFailed: z.object({ note: z.string() }).optional(),
  firstChangeRefused: oneOf<NonNullable<Ending['firstChangeRefused']>>({
    request: 'request',
    access: 'access',
  }).optional(),
  recordOnly: z.literal(true).optional(),
  splitMismatch: z
    .object({
      observed: z.number(),
      configured: z.number(),
      units: oneOf<NonNullable<SplitMismatch['units']>>({ requests: 'requests', users: 'users' }).optional(),
    })
    .optional(),
});

/** The longest note a release keeps of its PR's release config changes (Release.configChanges). */
export const MAX_CONFIG_CHANGES_NOTE = 2000;

export const releaseSchema = z.object({
  model: modelName,
  from: version,
  to: version,
  pr: z.int().positive().optional(),
  headSha: sha.optional(),
  // Optional: absent unless a new head superseded the PR's analysis, and in releases stored before it.
  // Shown in the report, never acted on.
  restartedFrom: z
    .object({
      head: sha.optional(),
      version,
      phase: phase.pick({ name: true, weight: true }).optional(),
      ready: z.literal(true).optional(),
      withdrawPending: z.literal(true).optional(),
    })
    .optional(),
  status: oneOf<ReleaseStatus>({
    analysing: 'analysing',
    ready: 'ready',
    failed: 'failed',
    promoted: 'promoted',
    aborted: 'aborted',
    superseded: 'superseded',
  }),
  phase: z.int().min(-1),
  phaseStartedAt: time,
  startedAt: time,
  updatedAt: time,
  gates: z.array(gate),
  phases: z.array(phase),
  reason: z.string().optional(),
  // Optional: releases stored before it have none. Compared and shown in messages, never acted on.
  target: z
    .object({
      description: z.string().min(1).max(1000),
      identity: z.record(z.string().regex(/^[a-z][a-z-]{0,39}$/), z.string().max(1000)),
    })
    .optional(),
  canaryDeployment: z.int().positive().optional(),
  withdrawPending: z.boolean().optional(),
  ending: ending.optional(),
  // Optional: absent when no job in watch mode holds a lease on the release.
  watchedUntil: time.optional(),
  // Optional: absent unless an analysing release waits for its hold's end, and in releases stored before it.
  holdEndsAt: time.optional(),
  // Optional: absent until the PR merges, and in releases stored before it.
  mergedAt: time.optional(),
  // Optional: absent once the ready candidate's change to idle is confirmed, and in releases stored before it.
  idlePending: z.literal(true).optional(),
  // Optional: absent once an analysing release's switch into its phase is confirmed, and in releases stored before it.
  switchPending: z.literal(true).optional(),
  // Optional: absent where the PR leaves its release config alone, and in releases stored before it.
  configChanges: z.object({ note: z.string().min(1).max(MAX_CONFIG_CHANGES_NOTE) }).optional(),
  // Optional: absent where no earlier candidate had live traffic, and in releases stored before it.
  earlierLive: z
    .array(z.object({ version, since: time, until: time }))
    .max(MAX_EARLIER_LIVE)
    .optional(),
}) satisfies z.ZodType<Release>;

/** Releases by model, each filed under its own model's name. */
export const releasesOf = <S extends z.ZodType<{ model: string }>>(release: S) =>
  z.record(modelName, release).superRefine((releases, ctx) => {
    for (const [key, r] of Object.entries(releases) as [string, { model: string }][]) {
      if (r.model === key) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key, 'model'],
        input: r.model,
        message: `expected "${key}", the model it is filed under, got ${describeValue(r.model)}`,
      });
    }
  });

export const releasesSchema = releasesOf(releaseSchema);

/** The first problems, and how many more: a message stays readable however much is wrong. */
export function firstProblems(problems: string[], max = 3): string {
  const more = problems.length - max;
  return problems.slice(0, max).join('; ') + (more > 0 ? ` (and ${more} more)` : '');
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Parse with messages that name the field and the value: `releases.fraud.to: "$(id)" is not a valid
 * version (…)`; `at` is where `data` sits in a larger document (one record of a file).
 */
export function parseState<S extends z.ZodType>(
  schema: S,
  data: unknown,
  at: PropertyKey[] = [],
): Parsed<z.output<S>> {
  const parsed = schema.safeParse(data, { error: configErrorMap });
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.map((i) => {
      const path = [...at, ...i.path];
      return path.length > 0 ? `${formatPath(path)}: ${i.message}` : i.message;
    }),
  };
}

/** The release as a ledger that stores JSON gives it back, or why it would not read back. */
export const storedForm = (release: Release): Parsed<Release> =>
  parseState(releaseSchema, JSON.parse(JSON.stringify(release)));
