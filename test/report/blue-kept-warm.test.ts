import { describe, expect, it } from 'vitest';
import { handleCommand } from '../../src/release/commands.js';
import { handlePullRequest, type RunOptions } from '../../src/release/pull-request.js';
import { decisionSentences } from '../../src/report/decision.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { fraudPr } from '../support/fraud-pr.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// SPEC §3: blue-green's blue is "kept warm for a rollback window". A promotion left v1 at 0% beside
// v2, and neither its report nor a status run said so, nor until when.

const watch: RunOptions = { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false };
const BLUE_GREEN =
  '{ type: blue-green, bake-duration: 1m, min-requests: 100, interval: 10s, rollback-window: 2h }';
const blueGreenYaml = FRAUD_CANARY_YAML.replace(
  /strategy: \{ type: canary[^}]*\}/,
  `strategy: ${BLUE_GREEN}`,
);

/** fraud v2 passed on green and merged: v1 (blue) kept at 0%. */
async function promoted() {
  const pr = await fraudPr({ yaml: blueGreenYaml });
  expect((await handlePullRequest(pr.config, pr.event('opened'), pr.ports, watch)).releases[0]?.status).toBe(
    'ready',
  );
  const merged = await handlePullRequest(pr.config, pr.event('closed', true), pr.ports, watch);
  expect(merged.releases[0]?.status).toBe('promoted');
  expect(pr.target.state).toEqual({ stable: { version: 'v2' }, canary: { version: 'v1', weight: 0 } });
  return { ...pr, merged, at: merged.releases[0]?.updatedAt as number };
}

describe("blue-green's blue kept warm after a promotion", () => {
  it('the promotion report says v1 is kept warm at 0%, and until when', async () => {
    const { config, clock, merged, at } = await promoted();
    expect(decisionSentences(merged, '', { config, now: clock.now() })).toEqual([
      `fraud v2 was promoted (replacing v1); v1 kept warm at 0% for a rollback until ${minute(at + 2 * HOUR)} (rollback-window 2h)`,
    ]);
  });

  it('the PR comment and the terminal report say it', async () => {
    const { config, clock, merged, at } = await promoted();
    const kept = `v1 kept warm at 0% for a rollback until ${minute(at + 2 * HOUR)} (rollback-window 2h)`;
    expect(renderMarkdown(config, merged, { now: clock.now() })).toContain(kept);
    expect(renderTerminal(config, merged, clock.now())).toContain(kept);
  });

  it('a status run inside the window says it; one after the window does not', async () => {
    const { config, ports, clock, at } = await promoted();
    const status = async () =>
      decisionSentences(await handleCommand(config, 'status', { dryRun: false }, ports), '', {
        config,
        now: clock.now(),
      });
    expect((await status())[0]).toContain(
      `; v1 kept warm at 0% for a rollback until ${minute(at + 2 * HOUR)} (rollback-window 2h)`,
    );
    clock.advance(2 * HOUR);
    expect((await status())[0]).not.toContain('kept warm');
  });
});

const HOUR = 3_600_000;
const minute = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
