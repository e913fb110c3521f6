import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fromSourceArgs } from './source-bundle.js';

// `model-gate sandbox ARGS` as a real process (run from source), for tests that need its
// foreground behaviour: started on a free port, and killed by `killSandboxProcesses` if a test
// left it running.
const started: ChildProcess[] = [];

export interface SandboxProcess {
  proc: ChildProcess;
  /** Resolves with [code, signal] once the process exits. */
  exited: Promise<unknown[]>;
  url: string;
  stdout(): string;
  stderr(): string;
}

/** Starts the sandbox and resolves once it has printed where it listens (rejects if it exits first). */
export async function startSandboxProcess(args: string[]): Promise<SandboxProcess> {
  const node = await fromSourceArgs('test/sandbox/fixtures/run-sandbox-command.ts');
  const proc = spawn(process.execPath, [...node, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(proc);
  const exited = once(proc, 'exit');
  let stdout = '';
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (m?.[1] && stdout.includes('type: sandbox')) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`exited early: ${stderr}`)));
  });
  return { proc, exited, url, stdout: () => stdout, stderr: () => stderr };
}

/** Kills every sandbox process still running (for afterAll). */
export function killSandboxProcesses(): void {
  for (const proc of started.splice(0)) {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
}
