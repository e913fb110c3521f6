import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';
import { strategyRefusal } from '../../src/targets/capabilities.js';

const PLATFORMS = ['kserve', 'sagemaker', 'azureml', 'vertex', 'seldon', 'http', 'command'] as const;
const ENV = {
  PROMETHEUS_URL: 'http://prometheus.internal:9090',
  DD_API_KEY: 'k',
  DD_APP_KEY: 'a',
  SERVING_TOKEN: 't',
};
const read = (path: string) => readFile(new URL(`../../examples/${path}`, import.meta.url), 'utf8');

describe.each(PLATFORMS)('examples/%s', (platform) => {
  it('has a config that validates, targets the platform, and asks only for what it can do', async () => {
    const text = await read(`${platform}/model-gate.yml`);
    const { config } = parseConfig(text, ENV, `examples/${platform}/model-gate.yml`);
    for (const model of Object.values(config.models)) expect(model.target.type).toBe(platform);
    const raw = parse(text);
    for (const model of Object.values(raw.models) as Record<string, unknown>[]) {
      expect(
        strategyRefusal(model.target ?? raw.defaults?.target, model.strategy ?? raw.defaults?.strategy),
      ).toBeUndefined();
    }
  });

  it('has a complete workflow: least permissions, a concurrency group, no PR data expanded in scripts', async () => {
    const workflow = parse(await read(`${platform}/workflow.yml`));
    expect(workflow.on.pull_request.types).toEqual([
      'opened',
      'synchronize',
      'reopened',
      'labeled',
      'closed',
    ]);
    expect(workflow.permissions).toMatchObject({
      contents: 'read',
      'pull-requests': 'write',
      deployments: 'write',
      statuses: 'write',
      actions: 'write',
    });
    // A push that takes the version change back must start a run to withdraw the candidate.
    expect(workflow.on.pull_request.paths).toBeUndefined();
    // Ticks advance long analyses and end a release whose job was lost.
    expect(workflow.on.schedule).toEqual([{ cron: expect.any(String) }]);
    expect(workflow.concurrency.group).toContain('github.event.pull_request.number');
    // A new push cancels a running analysis, and so does closing the PR unmerged (else the close
    // job waits behind it while the candidate keeps its traffic): a label would end its release.
    expect(workflow.concurrency['cancel-in-progress']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${{ }} is a GitHub Actions expression
      "${{ github.event_name == 'pull_request' && (github.event.action == 'synchronize' || (github.event.action == 'closed' && !github.event.pull_request.merged)) }}",
    );
    const steps: { uses?: string; run?: string; with?: Record<string, string> }[] =
      workflow.jobs.release.steps;
    expect(steps.some((s) => s.uses?.startsWith('model-gate/model-gate@'))).toBe(true);
    // An expression in a script is the classic injection: PR data goes through env only.
    for (const step of steps) expect(step.run ?? '').not.toMatch(/\$\{\{/);
    const cloud = steps
      .map((s) => s.uses ?? '')
      .filter((u) => /configure-aws-credentials|google-github-actions\/auth|azure\/login/.test(u));
    if (cloud.length > 0) expect(workflow.permissions['id-token']).toBe('write');
  });
});
