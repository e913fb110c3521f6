/**
 * `model-gate sandbox`: the embedded serving platform in the foreground, until SIGINT/SIGTERM.
 * `--traffic RPS` sends live traffic; `--feedback-delay MS` makes it report each row's label that
 * long after the answer; `--conversion-rate R` is the base rate the sandbox draws conversions with;
 * `--shift X` adds X to every feature the traffic sends (a population change for drift watches).
 */
import { parseArgs } from 'node:util';
import { demoModelsDir } from '../sandbox/paths.js';
import { startSandbox } from '../sandbox/server.js';
import { startTraffic, type TrafficGenerator } from '../sandbox/traffic.js';

const DEFAULT_MODEL = 'fraud-detector';
const DEFAULT_STABLE = 'v1';

interface SandboxArgs {
  port: number;
  traffic: number;
  modelsDir: string;
  model: string;
  stable: string;
  /** Delay of the outcome feedback the traffic reports; undefined: no feedback. */
  feedbackDelayMs?: number;
  /** Base conversion rate of the sandbox; undefined: its default. */
  conversionRate?: number;
  /** Added to every feature of the traffic; undefined: none. */
  shift?: number;
}

export async function sandboxCommand(argv: string[]): Promise<number> {
  let args: SandboxArgs;
  try {
    args = parseSandboxArgs(argv);
  } catch (e) {
    console.error(`model-gate sandbox: ${(e as Error).message}`);
    return 2;
  }
  const sandbox = await startSandbox({
    port: args.port,
    modelsDir: args.modelsDir,
    endpoints: [{ model: args.model, stable: args.stable }],
    ...(args.conversionRate === undefined ? {} : { conversionRate: args.conversionRate }),
  });
  let traffic: TrafficGenerator | undefined;
  if (args.traffic > 0) {
    traffic = startTraffic({
      url: sandbox.url,
      model: args.model,
      rps: args.traffic,
      ...(args.feedbackDelayMs === undefined ? {} : { feedback: { delayMs: args.feedbackDelayMs } }),
      ...(args.shift === undefined ? {} : { shift: args.shift }),
    });
  }
  console.log(`model-gate sandbox listening on ${sandbox.url}`);
  console.log(
    `point a target at it: target: { type: sandbox, url: ${sandbox.url}, model: ${args.model} }` +
      ` (and metrics: { type: sandbox, url: ${sandbox.url} })` +
      (traffic ? `; sending ${args.traffic} req/s of live traffic` : '') +
      (traffic && args.feedbackDelayMs !== undefined
        ? `, with outcome feedback after ${args.feedbackDelayMs} ms`
        : '') +
      (traffic && args.shift !== undefined ? `, every feature shifted by ${args.shift}` : ''),
  );
  await untilSignal();
  await traffic?.stop();
  await sandbox.close();
  return 0;
}

function parseSandboxArgs(argv: string[]): SandboxArgs {
  const { values } = parseArgs({
    args: argv,
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
    },
  });
  const port = integerFlag('--port', values.port ?? '0');
  if (port > 65535) throw new Error(`--port: must be from 0 to 65535, got ${values.port}`);
  const traffic = Number(values.traffic ?? '0');
  if (!Number.isFinite(traffic) || traffic < 0 || values.traffic?.trim() === '') {
    throw new Error(
      `--traffic: must be requests per second (a number >= 0), got ${JSON.stringify(values.traffic)}`,
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
  return args;
}

function integerFlag(flag: string, text: string): number {
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
