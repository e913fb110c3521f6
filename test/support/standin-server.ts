import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** What a served stand-in answers one call with (test/support/standins/aws.mjs `runAws`). */
interface Answer {
  code?: number;
  stdout: string;
  stderr: string;
  hang: boolean;
}
type Answerer = (argv: string[], env: Record<string, string>) => Answer;

export interface ServedStandin {
  /** Stops the server and puts PATH back as it was before serve. */
  stop(): Promise<void>;
}

// The program put on PATH: a bash script that sends its arguments and its AWS_* and MODEL_GATE_*
// variables (all the stand-in reads) to the server, NUL-separated over /dev/tcp with builtins only,
// and prints what the server answers: a call costs one bash start, no Node start and no subshell.
// It reads no standard input, so it suits stand-ins that take none. Killed while it waits (the
// caller's timeout, a `hang` fault), it just ends.
const client = (port: number) => `#!/bin/bash
exec 3<>/dev/tcp/127.0.0.1/${port} || exit 70
{
  printf '%s\\0' "$#" "$@"
  for name in "\${!AWS_@}" "\${!MODEL_GATE_@}"; do printf '%s=%s\\0' "$name" "\${!name}"; done
  printf '\\0'
} >&3
IFS= read -r -d '' -u 3 code || exit 70
IFS= read -r -d '' -u 3 out
IFS= read -r -d '' -u 3 err
printf '%s' "$out"
printf '%s' "$err" >&2
exit "$code"
`;

/**
 * Serves the `aws` stand-in from this process, started once per test file: every `aws` call an
 * adapter makes (through PATH, as it would run the real CLI) is answered by the same code as the
 * process-per-call stand-in installStandins puts on PATH, against the same state file, with the
 * same output and exit codes. Call after installStandins; stop before its remove.
 */
export async function serveAwsStandin(): Promise<ServedStandin> {
  const { runAws } = (await import(new URL('./standins/aws.mjs', import.meta.url).href)) as {
    runAws: Answerer;
  };
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      const request = parseRequest(buffered);
      if (!request) return;
      const answer = answerOf(runAws, request.argv, request.env);
      // A platform that never answers: the client waits until its caller's timeout kills it.
      if (answer.hang) return;
      socket.end(`${answer.code}\0${answer.stdout}\0${answer.stderr}\0`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the aws stand-in server has no port');
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-aws-'));
  await writeFile(join(dir, 'aws'), client(address.port));
  await chmod(join(dir, 'aws'), 0o755);
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
function answerOf(runAws: Answerer, argv: string[], env: Record<string, string>): Answer {
  try {
    return runAws(argv, env);
  } catch (err) {
    return {
      code: 70,
      stdout: '',
      stderr: `${err instanceof Error ? err.stack : String(err)}\n`,
      hang: false,
    };
  }
}

/** The arguments and environment once the whole request is in: `argc\0 args\0... NAME=value\0... \0`. */
function parseRequest(bytes: Buffer): { argv: string[]; env: Record<string, string> } | undefined {
  const fields = bytes.toString('utf8').split('\0');
  const argc = Number(fields[0]);
  const envEnd = fields.indexOf('', argc + 1);
  // The last field is what follows the final NUL: complete only when it is empty.
  if (fields.length < argc + 2 || envEnd < 0 || envEnd === fields.length - 1) return undefined;
  const env: Record<string, string> = {};
  for (const entry of fields.slice(argc + 1, envEnd)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { argv: fields.slice(1, argc + 1), env };
}
