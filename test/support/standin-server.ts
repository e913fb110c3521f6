import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { installStandins, type PlatformState, type StandinCli, type Standins } from './standin-cli.js';

/** What a served stand-in answers one call with (`runAws`, `runKubectl`, ... of test/support/standins/). */
interface Answer {
  code?: number;
  stdout: string;
  stderr: string;
  hang: boolean;
}
type Answerer = (argv: string[], env: Record<string, string>, input: string) => Answer;

/** Each stand-in's module and the function that answers one of its calls. */
const ANSWERERS: Record<StandinCli, [file: string, name: string]> = {
  aws: ['aws.mjs', 'runAws'],
  az: ['az.mjs', 'runAz'],
  gcloud: ['gcloud.mjs', 'runGcloud'],
  kubectl: ['kubectl.mjs', 'runKubectl'],
};

export interface ServedStandin {
  /** Stops the server and puts PATH back as it was before serve. */
  stop(): Promise<void>;
}

// The program put on PATH: a bash script that sends its arguments, its AWS_* and MODEL_GATE_*
// variables (all the stand-ins read) and, when an argument is `-` (`kubectl apply -f -`), its
// standard input to the server, NUL-separated over /dev/tcp with builtins only, and prints what the
// server answers: a call costs one bash start, no Node start and no subshell. Killed while it
// waits (the caller's timeout, a `hang` fault), it just ends.
const client = (port: number) => `#!/bin/bash
input=
for arg in "$@"; do
  if [ "$arg" = - ]; then IFS= read -r -d '' input; break; fi
done
exec 3<>/dev/tcp/127.0.0.1/${port} || exit 70
{
  printf '%s\\0' "$#" "$@"
  for name in "\${!AWS_@}" "\${!MODEL_GATE_@}"; do printf '%s=%s\\0' "$name" "\${!name}"; done
  printf '\\0'
  printf '%s\\0' "$input"
} >&3
IFS= read -r -d '' -u 3 code || exit 70
IFS= read -r -d '' -u 3 out
IFS= read -r -d '' -u 3 err
printf '%s' "$out"
printf '%s' "$err" >&2
exit "$code"
`;

/**
 * Serves the stand-in `cli` from this process, started once per test file: every call of it an
 * adapter makes (through PATH, as it would run the real CLI) is answered by the same code as the
 * process-per-call stand-in installStandins puts on PATH, against the same state file, with the
 * same output and exit codes. Call after installStandins; stop before its remove.
 */
export async function serveStandin(cli: StandinCli): Promise<ServedStandin> {
  const [file, name] = ANSWERERS[cli];
  const module = (await import(new URL(`./standins/${file}`, import.meta.url).href)) as Record<
    string,
    Answerer
  >;
  const run = module[name];
  if (!run) throw new Error(`test/support/standins/${file} exports no ${name}`);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const request = parseRequest(buffered);
      if (!request) return;
      const answer = answerOf(run, request);
      // A platform that never answers: the client waits until its caller's timeout kills it.
      if (answer.hang) return;
      socket.end(`${answer.code}\0${answer.stdout}\0${answer.stderr}\0`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error(`the ${cli} stand-in server has no port`);
  const dir = await mkdtemp(join(tmpdir(), `model-gate-${cli}-`));
  await writeFile(join(dir, cli), client(address.port));
  await chmod(join(dir, cli), 0o755);
  const savedPath = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${savedPath ?? ''}`;
  return {
    async stop() {
      process.env.PATH = savedPath;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A stand-in that throws has a bug: the call fails with it, as its process would (exit 70). */
function answerOf(run: Answerer, { argv, env, input }: Request): Answer {
  try {
    return run(argv, env, input);
  } catch (err) {
    return {
      code: 70,
      stdout: '',
      stderr: `${err instanceof Error ? err.stack : String(err)}\n`,
      hang: false,
    };
  }
}

interface Request {
  argv: string[];
  env: Record<string, string>;
  /** The standard input the client forwarded; empty when it read none. */
  input: string;
}

/**
 * The request once all of it is in: `argc\0 args\0... NAME=value\0... \0 input\0`. The input
 * holds no NUL (bash cannot hold one), so the request is whole once it ends with the NUL after it.
 */
function parseRequest(bytes: Buffer): Request | undefined {
  const fields = bytes.toString('utf8').split('\0');
  const argc = Number(fields[0]);
  const envEnd = fields.indexOf('', argc + 1);
  // The last field is what follows the final NUL: the request is whole when it is empty.
  if (envEnd < 0 || fields.length !== envEnd + 3 || fields[envEnd + 2] !== '') return undefined;
  const env: Record<string, string> = {};
  for (const entry of fields.slice(argc + 1, envEnd)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { argv: fields.slice(1, argc + 1), env, input: fields[envEnd + 1] ?? '' };
}

/**
 * The stand-ins for one test file: installed, `cli` answered by one in-test server, before its
 * tests, and both removed after them; `seed` (when given) seeds the platform before each test.
 * The returned stand-ins work from the file's beforeAll on.
 */
export function useStandins(cli: StandinCli, seed?: () => PlatformState): Standins {
  let installed: Standins | undefined;
  let served: ServedStandin | undefined;
  beforeAll(async () => {
    installed = await installStandins();
    served = await serveStandin(cli);
  });
  afterAll(async () => {
    await served?.stop();
    await installed?.remove();
  });
  if (seed) beforeEach(() => current().seed(seed()));
  const current = () => {
    if (!installed) throw new Error('the stand-ins are installed in beforeAll');
    return installed;
  };
  return {
    get dir() {
      return current().dir;
    },
    get statePath() {
      return current().statePath;
    },
    seed: (state) => current().seed(state),
    state: () => current().state(),
    fault: (...faults) => current().fault(...faults),
    calls: (which) => current().calls(which),
    remove: () => current().remove(),
  };
}
