import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/types.js';
import { systemClock } from '../core/clock.js';
import { STOP_SIGNALS } from '../core/stop-signals.js';
import { fileLedger } from '../ledger/file-ledger.js';
import { metricsFor, targetFor } from '../release/adapters.js';
import type { Ports } from '../release/ports.js';
import { handlePullRequest, type RunResult } from '../release/pull-request.js';
import type { ReleaseStatus } from '../release/types.js';
import { renderTerminal } from '../report/terminal.js';
import { DEMO_CONVERSION_RATE } from '../sandbox/outcomes.js';
import { demoModelsDir } from '../sandbox/paths.js';
import { startSandbox } from '../sandbox/server.js';
import { startTraffic, USERS_WITH_OUTCOMES } from '../sandbox/traffic.js';
import { memoryFileReader } from '../version/changed-models.js';
import { OUTPUT_CLOSED, signalExitCode, signalName } from './run-stop.js';

const MODEL = 'fraud-detector';
/** Seed 3: its users split clean for an A/B starting anywhere in its first 2 minutes (test/sandbox/seeded-ab-split.test.ts). */
export const DEMO_AB_SEED = 3;
/** The A/B demo's live traffic, requests a second (the others send 200). */
export const DEMO_AB_RPS = 400;
/** A commit id as git prints it, for the demo's made-up commits: the report names heads by it. */
const sha = (name: string) => createHash('sha1').update(name).digest('hex');

/** One pull request of the demo: the version file at base and head, and what must happen. */
interface DemoPr {
  number: number;
  from: string;
  to: string;
  expect: ReleaseStatus;
}

/** A good candidate promoted, then a faulty one rolled back (A/B uses v4, the one that converts at least as well). */
const story = (strategy: string): DemoPr[] => [
  { number: 1, from: 'v1', to: strategy === 'ab' ? 'v4' : 'v2', expect: 'promoted' },
  { number: 2, from: strategy === 'ab' ? 'v4' : 'v2', to: 'v3', expect: 'failed' },
];

/**
 * The demo once its command line is valid: the sandbox with live traffic, a good PR that is
 * promoted and a faulty one that is rolled back, with `strategy`. 0 only when both end as they
 * must. Its own module, so that a usage error or `--help` returns before the sandbox loads.
 */
export async function playDemo(strategy: string, out: NodeJS.WritableStream): Promise<number> {
  const started = Date.now();
  const sandbox = await startSandbox({
    modelsDir: demoModelsDir,
    endpoints: [{ model: MODEL, stable: 'v1' }],
    seed: 7,
    conversionRate: DEMO_CONVERSION_RATE,
  });
  const ab = strategy === 'ab';
  const rps = ab ? DEMO_AB_RPS : 200;
  const traffic = startTraffic({
    url: sandbox.url,
    model: MODEL,
    rps,
    seed: ab ? DEMO_AB_SEED : 11,
    ...(ab ? USERS_WITH_OUTCOMES : {}),
  });
  const work = await mkdtemp(join(tmpdir(), 'model-gate-demo-'));
  let underWay = 'before its first PR';
  const stopEarly = stopEarlyOn(out, work, () => underWay);
  try {
    const file = strategy === 'canary' ? 'model-gate.yml' : join('strategies', `${strategy}.yml`);
    out.write(
      `sandbox serving ${MODEL} v1 at ${sandbox.url}, live traffic ${rps} req/s; strategy ${strategy}, config examples/sandbox/${file}\n`,
    );
    const { config } = await loadConfig(
      join(demoModelsDir, '..', file),
      { ...process.env, SANDBOX_URL: sandbox.url },
      { pathHint: 'reinstall model-gate (the demo configs ship with it)' },
    );
    const ledger = fileLedger(join(work, 'ledger.json'));
    let ok = true;
    for (const pr of story(strategy)) {
      underWay = `during PR #${pr.number} (${MODEL} ${pr.from} -> ${pr.to})`;
      out.write(`\n━━ PR #${pr.number}: ${MODEL} ${pr.from} -> ${pr.to} ━━\n`);
      const result = await playPullRequest(config, pr, { ledger, out });
      const status = result.releases[0]?.status;
      const pass = status === pr.expect;
      ok &&= pass;
      out.write(
        `\n${pass ? '✓' : '✗'} PR #${pr.number} ended ${status ?? 'with no release'} (expected ${pr.expect})\n`,
      );
    }
    const served = traffic.stats();
    out.write(
      `\n${served.sent} live requests served during the demo in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    // Its folder goes with it: where to look next is the config it played, and the other stories.
    out.write(
      `next: read examples/sandbox/${file}; try \`model-gate demo --strategy linear|blue-green|shadow|ab|rolling\`, or \`model-gate sandbox\` to drive one yourself (README: "The sandbox")\n`,
    );
    return ok ? 0 : 1;
  } finally {
    await traffic.stop();
    await sandbox.close();
    await rm(work, { recursive: true, force: true });
    stopEarly.off();
  }
}

/**
 * How the demo ends before its story does, as `run` ends: Ctrl-C (SIGINT), SIGTERM or SIGHUP (its
 * terminal closed) exits 128 + the signal's number, a reader that goes away (`npm run demo | head -1`, EPIPE) 141, as
 * a shell reports a program its pipe ended: the story did not run, so never 0. One line on
 * stderr says what it stopped (`underWay`), no stack trace. The demo's folder goes first, which
 * Node's default (exit at once, no `finally`) would leave behind; the sandbox and its traffic are
 * this process's and end with it.
 */
function stopEarlyOn(out: NodeJS.WritableStream, work: string, underWay: () => string): { off(): void } {
  const exit = (code: number) => {
    rmSync(work, { recursive: true, force: true });
    process.exit(code);
  };
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(
      `model-gate demo: stopped by ${signalName(signal)} ${underWay()}: the story did not end; run it again to see it whole\n`,
    );
    exit(signalExitCode(signal));
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  const onOutputError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return stop(OUTPUT_CLOSED);
    process.stderr.write(`model-gate demo: cannot write its output: ${err.message}\n`);
    exit(1);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  out.on('error', onOutputError);
  return {
    off() {
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      out.off('error', onOutputError);
    },
  };
}

async function playPullRequest(
  config: Config,
  pr: DemoPr,
  io: { ledger: Ports['ledger']; out: NodeJS.WritableStream },
): Promise<RunResult> {
  const file = config.models[MODEL]?.source.file ?? '';
  const base = sha(`demo PR #${pr.number} base`);
  const head = sha(`demo PR #${pr.number} head`);
  const reader = memoryFileReader({
    [base]: { [file]: `version: ${pr.from}\n` },
    [head]: {
      [file]: `version: ${pr.to}\n`,
      [`models/${MODEL}/eval.json`]: JSON.stringify({ auc: pr.to === 'v3' ? 0.91 : 0.93 }),
    },
  });
  const ports: Ports = {
    ledger: io.ledger,
    reader,
    clock: systemClock,
    log: { info: (m) => io.out.write(`  ${m}\n`), warn: (m) => io.out.write(`  ! ${m}\n`) },
    targetFor,
    metricsFor,
  };
  const event = { number: pr.number, baseSha: base, headSha: head, merged: false };
  const opts = { mode: 'watch' as const, maxWaitMs: 120_000, dryRun: false };
  const analysed = await handlePullRequest(config, { ...event, action: 'opened' }, ports, opts);
  io.out.write(`\n${renderTerminal(config, analysed, Date.now())}`);
  if (analysed.releases[0]?.status !== 'ready') return analysed;
  io.out.write('\nthe PR is merged\n');
  const merged = await handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, opts);
  const report = renderTerminal(config, merged, Date.now());
  // A promotion's gates and phases are the ones just shown: its heading says what changed.
  const promoted = merged.releases[0]?.status === 'promoted';
  io.out.write(`\n${promoted ? `${report.split('\n\n')[0]}\n` : report}`);
  return merged;
}
