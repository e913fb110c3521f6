/**
 * `model-gate sandbox --help` named no exit codes, where every other command's help does; and a port
 * only root may listen on was refused with the bare "cannot listen on 127.0.0.1:80: EACCES".
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstUnprivilegedPort, nobodyCanRun, openTo, runCliProcess } from './cli-without-root.js';

const dir = await mkdtemp(join(tmpdir(), 'model-gate-sandbox-exit-'));
await openTo(dir);

describe('model-gate sandbox', () => {
  it('--help gives its exit codes', async () => {
    const help = await runCliProcess(dir, ['sandbox', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(
      `exit code: 0 when stopped by Ctrl-C (SIGINT) or SIGTERM, 1 when it cannot start (the port in use
  or not allowed, an unknown --stable, a --models-dir without the model), 2 on a usage error (an
  unknown option, a malformed value)`,
    );
  });

  // Where anyone may listen on port 80 (a lowered ip_unprivileged_port_start), nothing refuses it;
  // skipped too where nobody cannot run from this checkout (cli-without-root.ts).
  it.skipIf(firstUnprivilegedPort() <= 80 || !nobodyCanRun)(
    'says a port below 1024 needs root, and to pick another with --port',
    async () => {
      const run = await runCliProcess(dir, ['sandbox', '--port', '80'], { withoutRoot: true });
      expect(run.stderr).toBe(
        'model-gate sandbox: cannot listen on 127.0.0.1:80: EACCES: ports below 1024 need root: pick another with --port\n',
      );
      expect(run.code).toBe(1);
    },
  );
});
