/**
 * `model-gate sandbox`: the embedded serving platform in the foreground, until SIGINT/SIGTERM.
 * `--traffic RPS` sends live traffic as the demo's A/B traffic is: each request with a user id
 * (the sticky key of an A/B split) and its label reported after the answer (`--feedback-delay MS`,
 * default 100); `--conversion-rate R` is the base rate the sandbox draws conversions with (default
 * the demo's 0.3); `--shift X` adds X to every feature the traffic sends (a population change for
 * drift watches), from the start or, with `--shift-after DURATION`, from that long after it.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from '../config/duration.js';
import { InputError } from '../core/errors.js';
import { listVersions, loadArtifact } from '../sandbox/model-artifact.js';
import { DEMO_CONVERSION_RATE } from '../sandbox/outcomes.js';
import { demoModelsDir } from '../sandbox/paths.js';
import { SERVED_TTL_MS } from '../sandbox/served-log.js';
import { startSandbox } from '../sandbox/server.js';
import {
  startTraffic,
  TRAFFIC_FEATURES,
  type TrafficGenerator,
  USERS_WITH_OUTCOMES,
} from '../sandbox/traffic.js';
import { parseArgsProblem, usageError } from './usage.js';

const DEFAULT_MODEL = 'fraud-detector';
const DEFAULT_STABLE = 'v1';
/** Well above what the sandbox can serve on one machine; a higher rate only burns the CPU. */
const MAX_TRAFFIC_RPS = 10_000;
/** One request about every 17 minutes: below it, live traffic sends next to nothing. */
const MIN_TRAFFIC_RPS = 0.001;

const USAGE = `usage: model-gate sandbox [--port N] [--traffic RPS] [--feedback-delay MS] [--conversion-rate R]
                         [--shift X [--shift-after DURATION]] [--models-dir DIR --model NAME --stable VERSION]
  the embedded serving platform in the foreground, until Ctrl-C (SIGINT) or SIGTERM.
  --port N               port on 127.0.0.1 (default 0: a free one; the URL is printed)
  --traffic RPS          live traffic to the model, in requests per second (default 0: none; from
                         ${MIN_TRAFFIC_RPS} to ${MAX_TRAFFIC_RPS}): rows of ${TRAFFIC_FEATURES} features, as the demo sends, so the model
                         must take ${TRAFFIC_FEATURES}. Like the A/B demo's (demo --strategy ab; the other demos
                         send neither), each request carries a user id (header x-user-id, one
                         of ${USERS_WITH_OUTCOMES.userIds}), the key an ab strategy with sticky-header: x-user-id
                         keeps each user on one arm by, and reports its label --feedback-delay
                         after the answer, which the sandbox turns into a conversion for the arm
                         that served it (what a conversion gate compares)
  --feedback-delay MS    report each request's label this long after its answer (default ${USERS_WITH_OUTCOMES.feedback.delayMs}),
                         at most ${SERVED_TTL_MS} (2 h, how long the sandbox keeps a request for its feedback)
  --conversion-rate R    base rate the sandbox draws conversions with, 0 to 1 (default
                         ${DEMO_CONVERSION_RATE}, the demo's)
  --shift X              add X to every feature of the traffic: a population change, for trying a
                         drift-watch, e.g. --shift 1 or --shift -0.5
  --shift-after DURATION send the traffic unshifted for this long (e.g. 90s, 2m), then shifted by
                         --shift, so a drift-watch tick one window after the change compares the
                         shifted traffic with the unshifted reference before it (e.g. --shift 1
                         --shift-after 2m, window: 1m, reference: 1m: drift at 3m). Without it the
                         traffic is shifted from the start, both windows of a drift-watch see the
                         same population, and it reports no drift
  --models-dir DIR       demo models to serve (default examples/sandbox/models)
  --model NAME           model to serve (default fraud-detector); --stable VERSION is the version
                         it serves at start (default v1)
exit code: 0 when stopped by Ctrl-C (SIGINT) or SIGTERM, 1 when it cannot start (the port in use
  or not allowed, an unknown --stable, a --models-dir without the model), 2 on a usage error (an
  unknown option, a malformed value)`;

interface SandboxArgs {
  port: number;
  traffic: number;
  modelsDir: string;
  model: string;
  stable: string;
  /** Delay of the outcome feedback the traffic reports; undefined: the demo's. */
  feedbackDelayMs?: number;
  /** Base conversion rate of the sandbox; undefined: the demo's. */
  conversionRate?: number;
  /** Added to every feature of the traffic; undefined: none. */
  shift?: number;
  /** With `shift`: how long after the start the traffic goes unshifted; undefined: 0. */
  shiftAfterMs?: number;
}

export async function sandboxCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args: SandboxArgs;
  try {
    args = parseSandboxArgs(argv);
  } catch (e) {
    return usageError('sandbox', USAGE, parseArgsProblem(e));
  }
  await refuseUnservable(args);
  const sandbox = await startSandbox({
    port: args.port,
    modelsDir: args.modelsDir,
    endpoints: [{ model: args.model, stable: args.stable }],
    conversionRate: args.conversionRate ?? DEMO_CONVERSION_RATE,
  });
  let traffic: TrafficGenerator | undefined;
  const feedbackDelayMs = args.feedbackDelayMs ?? USERS_WITH_OUTCOMES.feedback.delayMs;
  if (args.traffic > 0) {
    traffic = startTraffic({
      url: sandbox.url,
      model: args.model,
      rps: args.traffic,
      userIds: USERS_WITH_OUTCOMES.userIds,
      feedback: { delayMs: feedbackDelayMs },
      ...(args.shift === undefined ? {} : { shift: args.shift }),
      ...(args.shiftAfterMs === undefined ? {} : { shiftAfterMs: args.shiftAfterMs }),
    });
  }
  console.log(`model-gate sandbox listening on ${sandbox.url}`);
  console.log(
    `point a target at it: target: { type: sandbox, url: ${sandbox.url}, model: ${args.model} }` +
      ` (and metrics: { type: sandbox, url: ${sandbox.url} })` +
      (traffic
        ? `; sending ${args.traffic} req/s of live traffic from ${USERS_WITH_OUTCOMES.userIds} user ids (x-user-id), with outcome feedback after ${feedbackDelayMs} ms`
        : '') +
      (traffic && args.shift !== undefined ? `, every feature shifted by ${args.shift}` : '') +
      (traffic && args.shiftAfterMs !== undefined
        ? ` from ${formatDuration(args.shiftAfterMs)} after the start`
        : ''),
  );
  await untilSignal();
  await traffic?.stop();
  await sandbox.close();
  return 0;
}

function parseSandboxArgs(argv: string[]): SandboxArgs {
  const { values } = parseArgs({
    args: joinNegativeNumbers(argv),
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      traffic: { type: 'string' },
      'models-dir': { type: 'string' },
      model: { type: 'string' },
      stable: { type: 'string' },
      'feedback-delay': { type: 'string' },
      'conversion-rate': { type: 'string' },
      shift: { type: 'string' },
      'shift-after': { type: 'string' },
    },
  });
  const port = integerFlag('--port', values.port ?? '0', 65535);
  const traffic = Number(values.traffic ?? '0');
  if (!Number.isFinite(traffic) || traffic < 0 || values.traffic?.trim() === '') {
    throw new Error(
      `--traffic: must be requests per second (a number >= 0), got ${JSON.stringify(values.traffic)}`,
    );
  }
  if (traffic > 0 && traffic < MIN_TRAFFIC_RPS) {
    throw new Error(
      `--traffic: at least ${MIN_TRAFFIC_RPS} requests per second (one about every 17 minutes), or 0 for none, got ${values.traffic}`,
    );
  }
  if (traffic > MAX_TRAFFIC_RPS) {
    throw new Error(
      `--traffic: at most ${MAX_TRAFFIC_RPS} requests per second (well above what the sandbox serves on one machine), got ${values.traffic}`,
    );
  }
  if (values.model !== undefined && values.stable === undefined && values.model !== DEFAULT_MODEL) {
    throw new Error(`--stable: required with --model ${values.model} (the version it serves at start)`);
  }
  for (const flag of ['models-dir', 'model', 'stable'] as const) {
    if (values[flag]?.trim() === '') throw new Error(`--${flag}: must not be empty`);
  }
  const args: SandboxArgs = {
    port,
    traffic,
    modelsDir: values['models-dir'] ?? demoModelsDir,
    model: values.model ?? DEFAULT_MODEL,
    stable: values.stable ?? DEFAULT_STABLE,
  };
  const delay = values['feedback-delay'];
  if (delay !== undefined) {
    args.feedbackDelayMs = integerFlag('--feedback-delay', delay);
    if (args.feedbackDelayMs > SERVED_TTL_MS) {
      throw new Error(
        `--feedback-delay: at most ${SERVED_TTL_MS} ms (2 h, how long the sandbox keeps a served request for its feedback), got ${delay}`,
      );
    }
    if (traffic === 0)
      throw new Error('--feedback-delay: needs --traffic (the feedback is about its requests)');
  }
  const rate = values['conversion-rate'];
  if (rate !== undefined) {
    const r = Number(rate);
    if (rate.trim() === '' || !Number.isFinite(r) || r < 0 || r > 1) {
      throw new Error(`--conversion-rate: must be a probability from 0 to 1, got ${JSON.stringify(rate)}`);
    }
    args.conversionRate = r;
  }
  const shift = values.shift;
  if (shift !== undefined) {
    const x = Number(shift);
    if (shift.trim() === '' || !Number.isFinite(x)) {
      throw new Error(`--shift: must be a number, got ${JSON.stringify(shift)}`);
    }
    if (traffic === 0) throw new Error("--shift: needs --traffic (it shifts the traffic's features)");
    args.shift = x;
  }
  const after = values['shift-after'];
  if (after !== undefined) {
    const ms = parseDuration(after.trim());
    if (ms === undefined) {
      throw new Error(`--shift-after: must be a duration such as 90s or 2m, got ${JSON.stringify(after)}`);
    }
    if (shift === undefined) throw new Error('--shift-after: needs --shift (it delays the shift)');
    args.shiftAfterMs = ms;
  }
  return args;
}

/**
 * What startSandbox would refuse, or serve to no avail, said in the command's words before it
 * starts: a --stable version the model does not have, and --traffic for a model whose feature
 * count is not the traffic's (each of its requests would be refused with a 400, silently).
 */
async function refuseUnservable(args: SandboxArgs): Promise<void> {
  const versions = await listVersions(args.modelsDir, args.model);
  if (!versions.includes(args.stable)) {
    throw new InputError(
      `--stable: unknown version "${args.stable}" of model ${args.model} in ${args.modelsDir}; available: ${versions.join(', ') || 'none'}`,
    );
  }
  if (args.traffic === 0) return;
  const { weights } = await loadArtifact(args.modelsDir, args.model, args.stable);
  if (weights.length !== TRAFFIC_FEATURES) {
    const file = join(args.modelsDir, args.model, `${args.stable}.json`);
    throw new InputError(
      `--traffic: sends ${TRAFFIC_FEATURES} features a request, but ${args.model} ${args.stable} takes ${weights.length} (the weights in ${file}), so the sandbox would refuse every request: serve a model with ${TRAFFIC_FEATURES} weights, or leave out --traffic and send requests of ${weights.length} features yourself`,
    );
  }
}

/** The options whose value is a number: `-5` after one is its value, never an option. */
const NUMBER_FLAGS = ['--shift', '--port', '--traffic', '--feedback-delay', '--conversion-rate'];

/**
 * `--shift -0.5` as `--shift=-0.5`, which is how parseArgs takes a value that starts with a dash
 * (it calls `--port -1` ambiguous otherwise): a negative port or rate is then refused in words.
 */
function joinNegativeNumbers(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (NUMBER_FLAGS.includes(argv[i] as string) && next !== undefined && /^-\.?\d/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i] as string);
  }
  return out;
}

/** A whole number from 0 to `max`: a negative one (`--port -1`) is told the range, not just "whole". */
function integerFlag(flag: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  const range = max === Number.MAX_SAFE_INTEGER ? 'at least 0' : `from 0 to ${max}`;
  if (/^-\d+$/.test(text) || (/^\d+$/.test(text) && Number(text) > max))
    throw new Error(`${flag}: must be ${range}, got ${text}`);
  if (!/^\d+$/.test(text)) throw new Error(`${flag}: must be a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
