import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fromSourceArgs } from '../support/source-bundle.js';

// A job cancelled while its step writes the ledger ends of the signal, as the runner expects of a
// cancelled step, however the write and the end interleave; and leaves no lock for the post step.
it('a step cancelled as its ledger write ends still dies of SIGTERM, at once, and leaves no lock', async () => {
  const lock = join(await mkdtemp(join(tmpdir(), 'model-gate-cancel-')), 'ledger.json.lock');
  const node = await fromSourceArgs('test/action/cancelled-writer.ts');
  const step = spawn(process.execPath, [...node, lock], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  step.stdout.on('data', (d) => (out += d));
  await once(step.stdout, 'data');
  step.kill('SIGTERM');
  const [code, signal] = await once(step, 'exit');
  expect([code, signal]).toEqual([null, 'SIGTERM']);
  expect(out).toContain('::error::model-gate stopped on SIGTERM');
  expect(existsSync(lock)).toBe(false);
});
