import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../../src/core/http-json.js';
import type { Release } from '../../src/release/types.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/server.js';
import { MODEL, prOnSandbox } from '../release/pr-on-sandbox.js';
import { platformPassThrough } from '../support/platform-pass-through.js';

// A rolling release of v2 on 4 instances, one a batch: batches 1 and 2 pass, the platform refuses
// the switch to batch 3 (3/4 instances), then the rollback too. The platform holds v2 on 2 of its 4
// instances, yet the release's line said only that v2 "could not be rolled back … may still get
// live traffic", naming no instance, and gave the refused switch to 75% as if v2 had reached it.
// The real sandbox behind a pass-through refusing those changes, a file ledger and a fake clock.
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 1, step-duration: 1m, min-requests: 100, interval: 10s }';

let sandbox: Sandbox;
let platform: Awaited<ReturnType<typeof platformPassThrough>>;
let refuse = false;
beforeAll(async () => {
  sandbox = await startSandbox({ modelsDir: demoModelsDir, endpoints: [{ model: MODEL, stable: 'v1' }] });
  platform = await platformPassThrough(sandbox.url, async ({ method, body }, forward) => {
    const rolling = (body as { rolling?: { replaced: number } } | undefined)?.rolling;
    // Batch 3 and the rollback (v1 alone) are refused; the rest goes through.
    const refused = method === 'PUT' && refuse && (rolling === undefined || rolling.replaced >= 3);
    return refused ? { status: 503, body: { error: 'traffic API unavailable' } } : forward();
  });
});
afterAll(async () => {
  await platform?.close();
  await sandbox?.close();
});

describe('a rolling batch refused, then its rollback', () => {
  it('the line says v2 may still run on 2 of 4 instances, the last batch the platform took', async () => {
    const w = await prOnSandbox({ url: platform.url } as Sandbox, {
      strategy: ROLLING,
      from: 'v1',
      to: 'v2',
    });
    let release: Release | undefined;
    for (let i = 0; i < 20 && release?.phase !== 1; i++) {
      release = (await w.open('tick')).releases[0];
      w.clock.advance(61_000);
    }
    // Batch 2 of 4 running: its step ends, then the switch to batch 3 is refused.
    const served = await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`);
    expect(served.body).toMatchObject({ rolling: { version: 'v2', replaced: 2, instances: 4 } });
    refuse = true;
    for (let i = 0; i < 5 && release?.status === 'analysing'; i++) {
      release = (await w.open('tick')).releases[0];
      w.clock.advance(61_000);
    }
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    expect((await requestJson('GET', `${sandbox.url}/admin/models/${MODEL}/traffic`)).body).toMatchObject({
      rolling: { version: 'v2', replaced: 2, instances: 4 },
    });
    const recorded = (await w.ledger.release(MODEL)) as Release;
    const report = renderMarkdown(w.config, { releases: [recorded], skipped: [] }, { now: w.clock.now() });
    const line = report.split('\n').find((l) => l.startsWith(`- ${MODEL} v2 `)) ?? '';
    expect(line).toMatch(
      /^- fraud-detector v2 may still run on 2 of 4 instances \(batch 2 of 4, the last the platform took\): the switch to batch 3 of 4 \(3\/4 instances\) and the rollback to v1 both failed: sandbox fraud-detector at /,
    );
    expect(line).toMatch(/; a re-run of this job or the next schedule tick tries again$/);
    expect(line).not.toContain('the switch to 75% of live traffic failed');
    expect(report.split('\n')[0]).toBe(
      '## model-gate: ⚠️ Rollback incomplete: the candidate may still run on 2 of 4 instances',
    );
    // The refused batch's row: the share it kept beside the one asked, and the platform's words.
    const run = renderMarkdown(
      w.config,
      { releases: [release as Release], skipped: [] },
      { now: w.clock.now() },
    );
    expect(rowOf(run, 'batch 3 of 4')).toMatch(
      /^\| batch 3 of 4 \(3\/4 instances\) \| 50% \(asked 75%\) \| .* \| switch refused: sandbox fraud-detector at \S+ answered the traffic change with HTTP 503: traffic API unavailable/,
    );
    expect(run.split('\n')[0]).toBe(report.split('\n')[0]);
    expect(rowOf(run, 'batch 2 of 4')).toMatch(
      /^\| batch 2 of 4 \(2\/4 instances\) \| 50% \| .* \| passed \|$/,
    );
    // A record stored before the flag: its row, its line and its heading as before.
    const before = {
      ...(release as Release),
      phases: (release as Release).phases.map(({ switchFailed: _, ...p }) => p),
    };
    const old = renderMarkdown(w.config, { releases: [before], skipped: [] }, { now: w.clock.now() });
    expect(rowOf(old, 'batch 3 of 4')).toMatch(
      /^\| batch 3 of 4 \(3\/4 instances\) \| 75% \| .* \| failed: the switch to 75% of live traffic failed: sandbox /,
    );
    expect(old.split('\n')[0]).toBe(report.split('\n')[0]);
    expect(old).toContain(line);
    refuse = false;
  }, 60_000);
});

/** The phase history's row of `phase`. */
const rowOf = (report: string, phase: string) =>
  report.split('\n').find((l) => l.startsWith(`| ${phase} `)) ?? '';
