import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deliverEvent } from './fake-github/server.js';
import { fromSourceArgs } from './source-bundle.js';

export const repoRoot = resolve(import.meta.dirname, '..', '..');

export interface StepRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
}

export interface StepOptions {
  workspace: string;
  eventName: string;
  event: unknown;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  /** STATE_* values saved by the main step, for the post step. */
  state?: Record<string, string>;
  /** Called once the process is running, e.g. to kill it mid-analysis. */
  onSpawn?: (kill: (signal: NodeJS.Signals) => void) => void;
  /** Run the step from src/ (bundled for tests, source-bundle.ts), not dist/: a change dist/ does not have yet. */
  fromSource?: boolean;
}

/**
 * Runs a bundled step (`dist/index.js` or `dist/post.js`; from src/ with `fromSource`) the way the
 * Actions runner does: inputs as INPUT_* variables, the event payload in a file, and the file
 * commands (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY) read back after it exits. A main
 * step's first attempt moves a GitHub stand-in's PR as its event says first (deliverEvent).
 */
export async function runStep(script: 'index.js' | 'post.js', opts: StepOptions): Promise<StepRun> {
  if (script === 'index.js')
    deliverEvent({
      githubUrl: opts.env?.GITHUB_API_URL,
      eventName: opts.eventName,
      event: opts.event,
      runAttempt: opts.env?.GITHUB_RUN_ATTEMPT,
    });
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-runner-'));
  const files = {
    event: join(dir, 'event.json'),
    output: join(dir, 'output'),
    state: join(dir, 'state'),
    summary: join(dir, 'summary.md'),
  };
  await writeFile(files.event, JSON.stringify(opts.event));
  for (const f of [files.output, files.state, files.summary]) await writeFile(f, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: opts.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_REPOSITORY: 'Codertocat/Hello-World',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_SHA: '0'.repeat(40),
    GITHUB_RUN_ID: '1234',
    RUNNER_TEMP: dir,
    // GitHub's pacing (writes a second apart, 1 + 4 + 9 s of backoff) at a twentieth: the same
    // requests and retries, without the real seconds (see testWaitScale in src/github/client.ts).
    MODEL_GATE_TEST_GITHUB_WAIT_SCALE: '0.05',
    ...opts.env,
  };
  for (const [name, value] of Object.entries(opts.inputs ?? {}))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  for (const [name, value] of Object.entries(opts.state ?? {})) env[`STATE_${name}`] = value;

  const args = opts.fromSource
    ? [...(await fromSourceArgs('test/support/step-from-source.ts')), script]
    : [join(repoRoot, 'dist', script)];
  const child = spawn(process.execPath, args, { cwd: opts.workspace, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  opts.onSpawn?.((signal) => child.kill(signal));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) =>
    child.on('close', (c, s) => done([c, s])),
  );
  return {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseFileCommands(await readFile(files.output, 'utf8')),
    state: parseFileCommands(await readFile(files.state, 'utf8')),
    summary: await readFile(files.summary, 'utf8'),
  };
}

/** The runner's `name<<DELIMITER` file-command format; the last value of a name wins. */
export function parseFileCommands(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (m) {
      const [, name, delimiter] = m as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] ?? '');
      out[name] = value.join('\n');
      continue;
    }
    const eq = /^([^=]+)=(.*)$/.exec(lines[i] ?? '');
    if (eq) out[eq[1] as string] = eq[2] as string;
  }
  return out;
}
