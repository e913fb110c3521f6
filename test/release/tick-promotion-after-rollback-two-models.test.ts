import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { MetricSource } from '../../src/metrics/source.js';
import { handleCommand } from '../../src/release/commands.js';
import { configOf, twoModelsWorld } from './two-models-world.js';

// on-merge: analyze-then-promote for fraud. One schedule tick drives fraud (its PR #7 merged) to
// ready, then churn (PR #8), then promotes fraud. While it looks at churn's metrics, an operator
// rolls fraud back to v1 by workflow_dispatch (`model-gate run`, its own ledger on the same file).
// The tick promoted fraud as it had left it before churn, without reading its record again: v2
// served over the rollback, a promotion was recorded, and the tick failed on the file refusing its
// save, churn's pass unreported.

const CONFIG = configOf(['fraud', 'churn'], '\n    on-merge: analyze-then-promote');

it('a rollback of fraud while the tick drives churn stays: the tick does not promote fraud over it', async () => {
  const path = join(await mkdtemp(join(tmpdir(), 'model-gate-tick-promotion-')), 'ledger.json');
  const w = await twoModelsWorld(fileLedger(path));
  await w.prJob(CONFIG, 7);
  await w.prJob(CONFIG, 7, 'closed', true);
  await w.prJob(CONFIG, 8);
  w.clock.advance(20_000);
  expect((await w.tick(CONFIG)).defects).toEqual([]);

  // At churn's first look in the next tick: fraud's rollback, by another process.
  const command = { ...w.ports, ledger: fileLedger(path) };
  const inputs = { model: 'fraud', toVersion: 'v1', dryRun: false, trigger: 'workflow_dispatch' };
  let rollback: Promise<unknown> | undefined;
  const metricsOf = w.ports.metricsFor;
  w.ports.metricsFor = (model) => {
    const metrics = metricsOf(model);
    if (model.name !== 'churn') return metrics;
    const rolledBack = () => (rollback ??= handleCommand(CONFIG, 'rollback', inputs, command));
    const looked: MetricSource = {
      async requests(...args) {
        await rolledBack();
        return metrics.requests(...args);
      },
      async value(...args) {
        await rolledBack();
        return metrics.value(...args);
      },
    };
    return looked;
  };
  w.clock.advance(20_000);
  const { defects, releases } = await w.tick(CONFIG);

  expect(rollback).toBeDefined();
  expect(defects).toEqual([]);
  expect(w.platforms.fraud.state).toEqual({ stable: { version: 'v1' } });
  const ledger = fileLedger(path);
  expect(await ledger.history('fraud')).toEqual([]);
  const fraud = await ledger.release('fraud');
  expect(fraud).toMatchObject({ status: 'aborted', reason: expect.stringContaining('a rollback to v1') });
  expect(releases).toEqual([fraud, await ledger.release('churn')]);
  expect(releases[1]).toMatchObject({ model: 'churn', status: 'ready' });
  expect(w.warnings).toContainEqual(expect.stringContaining('fraud v2 was ended by another run'));
});
