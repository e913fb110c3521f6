import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeClock } from '../../src/core/clock.js';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import { targetFor } from '../../src/release/adapters.js';
import { handleCommand } from '../../src/release/commands.js';
import type { Ports } from '../../src/release/ports.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import { decisionSentences } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { memoryFileReader } from '../../src/version/changed-models.js';
import { sha } from '../support/model-config.js';
import { passingErrorRate } from '../support/scripted-metrics.js';
import { useStandins } from '../support/standin-server.js';
import { servingV1 } from '../targets/kserve-cluster.js';

// On KServe a blue-green promotion routes green alone: blue stays an earlier Knative revision that
// no route reaches, scaled to zero (docs/targets/kserve.md). The promotion's PR comment and job
// summary still said "v1 kept warm at 0% for a rollback until …", so an operator counted on a quick
// rollback that in fact deploys v1 again, with a cold start.

const standins = useStandins('kubectl', servingV1);

const CONFIG = `version: 1
models:
  fraud:
    source: { file: model.yaml, key: version }
    target: { type: kserve, namespace: ml, storage-uri: "gs://models/{{model}}/{{version}}", timeout: 10s, settle-timeout: 2s, poll-interval: 10ms }
    metrics: { type: file, path: unused.json }
    strategy: { type: blue-green, bake-duration: 1m, step-duration: 1m, rollback-window: 1h, min-requests: 100, interval: 10s }
    gates:
      - { name: errors, kind: threshold, query: error-rate, max: 0.02 }
`;

const NOT_KEPT =
  '; v1 is not kept warm: the kserve target routes v2 alone, so a rollback to v1 deploys it again, with a cold start';

/** PR #2 moving fraud from v1 to v2 on the stand-in KServe, passed and merged: its promotion's result. */
async function promoted() {
  const { config } = parseConfig(CONFIG, {});
  const log = { info: () => {}, warn: () => {} };
  const metrics = passingErrorRate();
  const ports: Ports = {
    ledger: fileLedger(join(await mkdtemp(join(tmpdir(), 'model-gate-kserve-blue-')), 'ledger.json')),
    reader: memoryFileReader({
      [sha(1)]: { 'model.yaml': 'version: v1\n' },
      [sha(2)]: { 'model.yaml': 'version: v2\n' },
    }),
    clock: new FakeClock(),
    log,
    targetFor: (model) => targetFor(model, log),
    metricsFor: () => metrics,
  };
  const watch = { mode: 'watch' as const, maxWaitMs: 3_600_000, dryRun: false };
  const event = { action: 'opened', number: 2, baseSha: sha(1), headSha: sha(2), merged: false };
  expect((await handlePullRequest(config, event, ports, watch)).releases[0]?.status).toBe('ready');
  const merged = await handlePullRequest(config, { ...event, action: 'closed', merged: true }, ports, watch);
  expect(merged.releases[0]?.status).toBe('promoted');
  return { config, ports, merged };
}

describe('a blue-green promotion on KServe, which keeps no blue', () => {
  it('routes v2 alone: the promotion says v1 is not kept warm and a rollback deploys it again', async () => {
    const { config, ports, merged } = await promoted();
    const isvc = (await standins.state()).k8s['inferenceservices.serving.kserve.io']['ml/fraud'];
    expect(isvc.status.components.predictor.traffic).toEqual([
      expect.objectContaining({ percent: 100, latestRevision: true }),
    ]);
    const now = ports.clock.now();
    expect(decisionSentences(merged, '', { config, now })).toEqual([
      `fraud v2 was promoted (replacing v1)${NOT_KEPT}`,
    ]);
    for (const report of [renderMarkdown(config, merged, { now }), renderTerminal(config, merged, now)]) {
      expect(report).toContain(NOT_KEPT.slice(2));
      expect(report).not.toContain('kept warm at 0%');
    }
  });

  it('a status run inside the window says what the promotion said: v1 is not kept warm, a rollback deploys it again', async () => {
    const { config, ports } = await promoted();
    const said = decisionSentences(await handleCommand(config, 'status', { dryRun: false }, ports), '', {
      config,
      now: ports.clock.now(),
    });
    expect(said[0]).toMatch(/^fraud serves v2 since the promotion v1 → v2/);
    expect(said[0]?.endsWith(NOT_KEPT)).toBe(true);
    expect(said[0]).not.toContain('no longer');
  });
});
