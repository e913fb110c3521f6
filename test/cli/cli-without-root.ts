import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CliRun } from '../support/cli-process.js';
import { fromSourceArgs } from '../support/source-bundle.js';

/**
 * `model-gate <args>` from source, as its own process in `cwd`, killed after `timeoutMs` (a run
 * that never returns fails its test rather than outliving it). `withoutRoot`: as a user without
 * root runs it; the tests run as root in CI, where no permission is ever denied, so there it runs
 * as `nobody` (uid 65534), and `cwd` and what it reads must be open to that user (openTo).
 */
export async function runCliProcess(
  cwd: string,
  args: string[],
  { env = {}, timeoutMs = 30_000, withoutRoot = false }: CliProcessOptions = {},
): Promise<CliRun> {
  const node = await fromSourceArgs('test/support/run-cli.ts');
  const user = withoutRoot && process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...node, ...args],
      { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL', ...user },
      (error, stdout, stderr) =>
        done({
          code: error ? Number(error.code ?? Number.NaN) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

interface CliProcessOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  withoutRoot?: boolean;
}

/** `dir` readable (not writable) by anyone: a folder made by mkdtemp is its owner's only. */
export const openTo = (dir: string) => chmod(dir, 0o755);

/** The first port anyone may listen on (below it: root only), as Linux has it. */
export function firstUnprivilegedPort(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
  } catch {
    return 1024;
  }
}

/**
 * Whether a run as `nobody` can start from this checkout: as root, the repository may sit where
 * only root can read (under /root), and such a test is then skipped rather than failed.
 */
export const nobodyCanRun: boolean = (() => {
  if (process.getuid?.() !== 0) return true;
  const probe = join(resolve(import.meta.dirname, '..', '..'), 'node_modules', 'zod', 'package.json');
  try {
    execFileSync(process.execPath, ['-e', 'require("node:fs").accessSync(process.argv[1])', probe], {
      uid: 65534,
      gid: 65534,
      stdio: 'ignore',
      timeout: 10_000,
    });
    return true;
  } catch {
    return false;
  }
})();
