import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { expect, it } from 'vitest';
import { fromSourceArgs } from '../support/source-bundle.js';

// Node hands a signal to its listeners between turns: one that came as analyze removed its last
// temporary folder reached none, and the process went on as if never stopped.
it('analyze stopped as its last temporary folder is removed still dies of the signal', async () => {
  const node = await fromSourceArgs('test/cli/temp-dir-holder.ts');
  const proc = spawn(process.execPath, node, { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(proc.stdout, 'data');
  proc.kill('SIGINT');
  const [code, signal] = await once(proc, 'exit');
  expect([code, signal]).toEqual([null, 'SIGINT']);
});
