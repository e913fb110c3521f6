// A `model-gate run` in miniature, as its own process: it drives one model's release through the
// ledger file it shares with other processes (test/ledger/file-ledger-shared.test.ts). It says
// `ready` and starts on a line on stdin, so that the processes' writes overlap.
// Usage: ledger-writer.ts LEDGER MODEL STEPS
import { once } from 'node:events';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { newRelease } from '../../src/release/new-release.js';
import { canaryModel, sha } from '../support/model-config.js';

const [path = '', model = '', steps = '0'] = process.argv.slice(2);
const ledger = fileLedger(path);
const started = newRelease(canaryModel({ name: model }), {
  from: 'v1',
  to: 'v2',
  pr: 1,
  headSha: sha(1),
  now: 1,
});
process.stdout.write('ready\n');
await once(process.stdin, 'data');
process.stdin.destroy();
let release = (await ledger.release(model)) ?? started;
for (let phase = 1; phase <= Number(steps); phase++) {
  release = { ...release, phase, updatedAt: phase + 1, reason: `phase ${phase}` };
  await ledger.saveRelease(release);
}
await ledger.saveRelease({
  ...release,
  status: 'promoted',
  updatedAt: 1_000,
  reason: `promoted phase ${steps}`,
});
await ledger.record({
  model,
  kind: 'promotion',
  version: 'v2',
  previous: 'v1',
  at: 1_000,
  pr: 1,
  summary: 'passed',
});
