import { describe, expect, it } from 'vitest';
import { handlePullRequest, type RunOptions } from '../../src/release/pull-request.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderTerminal } from '../../src/report/terminal.js';
import { fraudPr } from '../support/fraud-pr.js';
import { FRAUD_CANARY_YAML } from '../support/model-config.js';

// A rolling release that passed is on every instance already (rolling has no idle state, unlike
// the other strategies' 0%): "ready to merge" alone read as if v1 still served.

const watch: RunOptions = { mode: 'watch', maxWaitMs: 3_600_000, dryRun: false };
const ROLLING =
  '{ type: rolling, instances: 4, batch-size: 2, step-duration: 1m, min-requests: 100, interval: 10s }';
const rollingYaml = FRAUD_CANARY_YAML.replace(/strategy: \{ type: canary[^}]*\}/, `strategy: ${ROLLING}`);

describe('the report of a rolling release that passed', () => {
  it('says v2 already serves all live traffic on every instance, and what merging does', async () => {
    const { config, ports, event, target } = await fraudPr({ yaml: rollingYaml });
    const ready = await handlePullRequest(config, event('opened'), ports, watch);
    expect(ready.releases[0]?.status).toBe('ready');
    expect(target.state).toEqual({
      stable: { version: 'v1' },
      rolling: { version: 'v2', instances: 4, replaced: 4 },
    });
    const line =
      'fraud v2 passed every gate and is ready to merge; it already serves all live traffic, on every instance (a rolling update has no idle state): merging records it as the stable version, with no traffic change';
    expect(renderTerminal(config, ready, 0).split('\n').slice(0, 2)).toEqual([
      'model-gate: ✅ Ready to merge',
      `  ${line}`,
    ]);
    expect(renderMarkdown(config, ready, { now: 0 })).toContain(`- ${line}\n`);
  });
});
