import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { newRelease } from '../../src/release/new-release.js';
import type { Release, SeriesPoint } from '../../src/release/types.js';
import { escapeMarkdown } from '../../src/report/markdown.js';
import { runMainStep } from '../support/main-step.js';
import { workflowDispatchEvent } from '../support/payloads.js';

// GitHub drops a step's job summary over 1 MiB whole, leaving only an error annotation ("upload
// aborted, supports content up to a size of 1024k"). A status run over 20 models deep into
// 99-step canaries (ten gates each, every step's row and why it passed) reports about 1.3 MiB;
// so would a tick over several hundred models at an early step. The summary must still be there.
const MiB = 1024 * 1024;
const H = 3_600_000;
const names = Array.from({ length: 20 }, (_, i) => `model-${String(i).padStart(2, '0')}`);
const QUERIES = ['error-rate', 'latency-p99', 'null-rate', 'latency-p95', 'latency-mean'];
const GATES = Array.from({ length: 10 }, (_, i) => `${QUERIES[i % QUERIES.length]}_${i}`);
const STEPS = Array.from({ length: 99 }, (_, i) => i + 1);

const CONFIG = `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:1" }
  metrics: { type: sandbox, url: "http://127.0.0.1:1" }
  strategy: { type: canary, steps: [${STEPS.join(', ')}], step-duration: 1h, min-requests: 500, interval: 1m }
  must-have-data: false
models:
${names
  .map(
    (n) => `  ${n}:
    source: { file: models/${n}.yaml, key: version }
    gates:
${GATES.map((g) => `      - { name: ${g}, kind: threshold, query: ${g.split('_')[0]}, max: 0.05 }`).join('\n')}`,
  )
  .join('\n')}
`;
const { config } = parseConfig(CONFIG, {});

const UNDECIDED = `ended without conclusive data for ${GATES.map((g) => `${g} (36000 of 1000000000 candidate requests)`).join(', ')}`;

/** At step 98 of 99: 97 steps passed without every gate deciding, each gate's looks charted. */
function analysing(name: string): Release {
  const model = config.models[name];
  if (!model) throw new Error(`no model ${name}`);
  const base = newRelease(model, { from: 'v1.4.0', to: 'v1.5.0', pr: 9, headSha: 'e'.repeat(40), now: 0 });
  const series: SeriesPoint[] = Array.from({ length: 32 }, (_, i) => [
    i * 412 + 60,
    0.0123 + i / 1e4,
    0.0101,
  ]);
  return {
    ...base,
    phase: 97,
    updatedAt: 97.5 * H,
    reason: 'analysing step 98 of 99 (98% of live traffic)',
    phases: STEPS.slice(0, 98).map((weight, i) => ({
      name: `step ${i + 1} of 99`,
      weight,
      startedAt: i * H,
      ...(i < 97 ? { endedAt: (i + 1) * H, outcome: 'passed' as const, note: UNDECIDED } : {}),
    })),
    gates: base.gates.map((g) => ({
      ...g,
      series,
      last: { at: 97.5 * H, verdict: 'pass' as const, canary: 0.0154, baseline: 0.0101 },
    })),
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('a report larger than the 1 MiB GitHub takes for a job summary', () => {
  it('is summarised without charts and phase history, saying so and where the full report is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-summary-'));
    dirs.push(dir);
    const ledger = join(dir, 'ledger.json');
    const releases = Object.fromEntries(names.map((n) => [n, analysing(n)]));
    await writeFile(ledger, JSON.stringify({ version: 1, releases, history: [] }));
    const summary = join(dir, 'summary.md');
    await writeFile(summary, '');

    const run = await runMainStep({
      eventName: 'workflow_dispatch',
      event: workflowDispatchEvent({ command: 'status' }),
      inputs: { command: 'status', ledger },
      config: CONFIG,
      githubUrl: 'http://127.0.0.1:1',
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    const reportPath = run.outputs['report-path'] ?? '';
    dirs.push(dirname(reportPath));

    expect(run.error).toBeUndefined();
    expect(run.outputs.decision).toBe('analysing');
    // The report file keeps the full report, over the limit.
    expect(Buffer.byteLength(run.report)).toBeGreaterThan(MiB);
    expect(run.report).toContain('<summary>Phase history</summary>');
    // The summary fits, and says what it leaves out and where to find it.
    expect((await stat(summary)).size).toBeLessThanOrEqual(MiB);
    const written = await readFile(summary, 'utf8');
    const lines = written.split('\n');
    expect(lines[0]).toBe('## model-gate: ⏳ Status: analysing');
    expect(lines[2]).toMatch(
      /^ℹ️ Charts and phase history are left out: the full report \(1\.\d MiB\) is larger than the 1 MiB GitHub takes for a job summary: it is the file at this step's report-path output, /,
    );
    expect(lines[2]).toContain(escapeMarkdown(reportPath));
    // Every model's decision and gate table is still there.
    for (const n of names) {
      expect(written).toContain(`- ${n} v1.5.0: analysing step 98 of 99 (98% of live traffic)`);
      expect(written).toContain(`### ${n}: v1.4.0 → v1.5.0 (PR #9) (analysing)`);
    }
    expect(written.match(/^\| error-rate\\_0 \(error-rate\) \|/gm)).toHaveLength(names.length);
    expect(written).not.toContain('mermaid');
    expect(written).not.toContain('Phase history');
  }, 60_000);
});
