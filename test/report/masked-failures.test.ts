import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSecret, redactNotes } from '../../src/core/redact.js';
import { storedForm } from '../../src/ledger/release-schema.js';
import { handlePullRequest } from '../../src/release/pull-request.js';
import type { Release } from '../../src/release/types.js';
import { releaseSentence } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { fraudPr } from '../support/fraud-pr.js';
import { MemoryTarget } from '../support/memory-target.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';
import { ScriptedMetrics } from '../support/scripted-metrics.js';
import { blueGreenWith, released, row, startGreen } from './release-world.js';

// Registered secrets that are also words the engine writes: a stored release's free text (its
// reason, its phases' notes) comes back with them masked, and the report must still tell how it
// failed from its structured fields.
addSecret('deployed');
addSecret('green');

/** The release as a GitHub ledger's comment keeps it: free text masked, then read back. */
function reloaded(release: Release): Release {
  const stored = storedForm(redactNotes(release));
  if (!stored.ok) throw new Error(stored.problems.join('; '));
  return stored.value;
}

const top = (text: string) => text.split('\n').slice(0, 3);

describe('a candidate a pre-deploy gate stopped, read back masked', () => {
  it('was not deployed, so nothing was rolled back', async () => {
    const yaml = FRAUD_CANARY_YAML.replace(
      '    gates:\n',
      '    gates:\n      - { name: auc, kind: offline, file: eval.json, key: auc, min: 0.9 }\n',
    );
    const { config, ports, event, target } = await fraudPr({
      yaml,
      headFiles: { 'eval.json': '{"auc": 0.5}' },
    });
    const result = await handlePullRequest(config, event('opened'), ports, {
      mode: 'watch',
      maxWaitMs: 3_600_000,
      dryRun: false,
    });
    expect(target.writes).toHaveLength(0);
    const release = reloaded(result.releases[0] as Release);
    expect(release.reason).toBe('not ***: auc: 0.5000 is below the min 0.9000');
    // Read by its words, it was "❌ Rolled back" / "fraud v2 was rolled back to v1: not ***: auc …".
    expect(top(renderMarkdown(config, { releases: [release], skipped: [] }, { now: 0 }))).toEqual([
      '## model-gate: ❌ Failed',
      '',
      '- fraud v2 was not deployed: auc: 0.5000 is below the min 0.9000',
    ]);
  });
});

describe('a smoke test that failed green, read back masked', () => {
  let green: Awaited<ReturnType<typeof startGreen>>;
  beforeAll(async () => {
    green = await startGreen();
  });
  afterAll(() => green.close());
  const metrics = () =>
    new ScriptedMetrics({
      stable: { rps: 40, values: { 'error-rate': 0.004 } },
      canary: { rps: 40, values: { 'error-rate': 0.004 } },
    });
  // The markdown escapes the mask's stars.
  const smokeWords =
    /^smoke: 4 synthetic requests to (\\?\*){3}, 2 failed \(request 2: .*\) \(max-errors 0\), p95 \d+ ms$/;

  it('says what the smoke test found, naming its phase once, in the decision and the phase history', async () => {
    const config = blueGreenWith(green.url, '[{ x: 1 }, { bad: 1 }]');
    const release = reloaded(await released(config, metrics()));
    expect(release.reason).toMatch(
      /^smoke on \*\*\* failed: smoke: 4 synthetic requests to \*\*\*, 2 failed/,
    );
    const text = renderMarkdown(config, { releases: [release], skipped: [] }, { now: release.updatedAt });
    const [title, , sentence] = top(text);
    expect(title).toBe('## model-gate: ❌ Failed');
    // Read by its words, the reason's "smoke on *** failed: " stayed in both.
    const said =
      /^- fraud v2 failed in smoke on green: (.*); it never served callers and was withdrawn$/.exec(
        sentence ?? '',
      );
    expect(said?.[1]).toMatch(smokeWords);
    const history = /^\| smoke on green \| 0% \| [^|]+ \| [^|]+ \| failed: (.*) \|$/.exec(
      row(text, 'smoke on green') ?? '',
    );
    expect(history?.[1]).toMatch(smokeWords);
  });

  it('whose withdrawal then failed: says so once, with the platform’s words', async () => {
    const config = blueGreenWith(green.url, '[{ x: 1 }, { bad: 1 }]');
    // Green deploys (write 0) for the smoke test; taking it out again fails.
    const target = new MemoryTarget();
    target.failFromWrite = 1;
    const release = reloaded(await released(config, metrics(), { target }));
    expect(release).toMatchObject({ status: 'failed', withdrawPending: true });
    const sentence = releaseSentence(release);
    expect(sentence).toMatch(
      /^fraud v2 failed in smoke on green: smoke: 4 synthetic requests to \*\*\*, 2 failed .*; it never served callers\. v2 may still get live traffic: withdrawing it failed \(platform unavailable\), and a re-run of this job or the next schedule tick tries again$/,
    );
    expect(sentence.split('platform unavailable')).toHaveLength(2);
  });

  it('stored before the smoke field (by the previous model-gate): names the phase once, in the decision and the phase history', () => {
    const old = {
      model: 'fraud',
      from: 'v1',
      to: 'v2',
      status: 'failed',
      phase: 0,
      phaseStartedAt: 0,
      startedAt: 0,
      updatedAt: 1,
      gates: [],
      phases: [
        {
          name: 'smoke on green',
          weight: 0,
          startedAt: 0,
          endedAt: 1,
          outcome: 'failed',
          note: 'smoke on green failed: smoke: 1 of 2 failed',
        },
      ],
      reason: 'smoke on green failed: smoke: 1 of 2 failed',
    };
    const stored = storedForm(old as Release);
    expect(stored.ok).toBe(true);
    const release = stored.ok ? stored.value : (old as Release);
    expect(releaseSentence(release)).toBe(
      'fraud v2 failed in smoke on green: smoke: 1 of 2 failed; it never served callers and was withdrawn',
    );
    const config = blueGreenWith(green.url, '[{ x: 1 }, { bad: 1 }]');
    const text = renderMarkdown(config, { releases: [release], skipped: [] }, { now: release.updatedAt });
    expect(row(text, 'smoke on green')).toMatch(
      /^\| smoke on green \| 0% \| [^|]+ \| [^|]+ \| failed: smoke: 1 of 2 failed \|$/,
    );
  });
});
