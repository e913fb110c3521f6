import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The example apply (examples/command/nginx-split.mjs) asked for a version with no backend: it
// exits 65, which the command target reads as "refused, nothing changed" (a candidate not
// deployed), not 1, an outage that a rollback would follow.
const SCRIPT = fileURLToPath(new URL('../../examples/command/nginx-split.mjs', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nginx-no-backend-'));
  await writeFile(join(dir, 'upstreams.json'), JSON.stringify({ v1: '127.0.0.1:1' }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('nginx-split.mjs asked for a version upstreams.json does not have', () => {
  it('exits 65 naming the version, what it has and what to add, changing nothing', () => {
    const args = ['apply', '--prefix', dir, '--state-url', 'http://127.0.0.1:1/', '--stable', 'v1'];
    const run = spawnSync(process.execPath, [SCRIPT, ...args, '--candidate', 'v3', '--weight', '10'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(65);
    expect(run.stderr).toBe(
      `nginx-split: no backend for version v3 in ${join(dir, 'upstreams.json')} (it has v1): add "v3": "HOST:PORT" for its servers\n`,
    );
  });
});
