import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GitRepo } from './git-repo.js';
import { alive } from './processes.js';
import { fromSourceArgs } from './source-bundle.js';

// A repository whose model is served through a command target: a deploy tool `deploy.mjs` (each test
// writes its own) that `model-gate run` calls as `apply STABLE CANDIDATE WEIGHT` and `read`. For the
// tests that stop a run while that tool is held at the platform (run-stop-commands,
// run-command-stopped).

const node = JSON.stringify(process.execPath);
const commandTargetConfig = (model: string, gateUrl: string) => `version: 1
models:
  ${model}:
    source: { file: models/${model}/model.yaml, key: version }
    strategy: { type: canary, steps: [50], interval: 1s }
    target:
      type: command
      apply: [${node}, deploy.mjs, apply, "{{stable}}", "{{candidate}}", "{{weight}}"]
      read: [${node}, deploy.mjs, read]
    metrics: { type: sandbox, url: "http://127.0.0.1:9" }
    gates:
      - { name: approval, kind: webhook, url: "${gateUrl}" }
`;

/**
 * A repository with `model` at v1 committed (a canary of one 50% step, an approval webhook gate at
 * `gateUrl`) and v2 in its working tree: the candidate `run release --pr N` finds.
 */
export async function deployScriptRepo(model: string, gateUrl: string, deploy: string): Promise<GitRepo> {
  const repo = await GitRepo.create();
  await repo.commit(
    {
      '.github/model-gate.yml': commandTargetConfig(model, gateUrl),
      'deploy.mjs': deploy,
      [`models/${model}/model.yaml`]: 'version: v1\n',
    },
    'v1',
  );
  await writeFile(join(repo.dir, `models/${model}/model.yaml`), 'version: v2\n');
  return repo;
}

/** `model-gate run ARGS` from source as its own process in `cwd`, to send signals to. */
export async function startRun(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const proc = spawn(
    process.execPath,
    [...(await fromSourceArgs('test/support/run-cli.ts')), 'run', ...args],
    {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
  const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const out = { stdout: '', stderr: '' };
  proc.stdout.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  proc.stderr.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  return { kill: (signal: NodeJS.Signals) => proc.kill(signal), exited, out };
}

/** Resolves once `done()` holds, polled every 20 ms. */
export async function until(done: () => boolean) {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
}

/** After each test: lets a held deploy tool go (the file `go` in `dir`) and kills it if it still runs. */
export async function releaseHeld(dir: string, held: number | undefined) {
  await writeFile(join(dir, 'go'), '');
  if (held !== undefined && alive(held)) process.kill(held, 'SIGKILL');
}
