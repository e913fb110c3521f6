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
/** The examples whose own step deploys the candidate before model-gate runs. */
const DEPLOYS_CANDIDATE = ['sagemaker', 'azureml', 'vertex', 'seldon'];

/**
 * The GitHub Actions expressions these workflows use (paths, ==, !=, !, &&, ||, format,
 * startsWith), evaluated on a `github` context: a missing property is null, as GitHub has it.
 */
function evaluate(expression: string, github: Record<string, unknown>): unknown {
  const at = (path: string[]) =>
    path.reduce<unknown>((o, key) => (o as Record<string, unknown> | null)?.[key] ?? null, github);
  const format = (text: string, ...args: unknown[]) =>
    text.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));
  const startsWith = (a: unknown, b: unknown) =>
    String(a ?? '')
      .toLowerCase()
      .startsWith(String(b ?? '').toLowerCase());
  const js = expression
    .replace(
      /github((?:\.[A-Za-z_]+)+)/g,
      (_, path: string) => `at(${JSON.stringify(path.slice(1).split('.'))})`,
    )
    .replace(/([!=])=/g, '$1==');
  return new Function('at', 'format', 'startsWith', `return (${js});`)(at, format, startsWith);
}
/** A workflow field: `${{ }}` parts evaluated into the text around them, or a bare `if:` expression. */
const value = (field: string, github: Record<string, unknown>) =>
  field.includes('${{')
    ? field.replace(/\$\{\{(.*?)\}\}/g, (_, e: string) => String(evaluate(e, github) ?? ''))
    : evaluate(field, github);

const repository = 'acme/ml';
const pr = (event_name: string, action: string, pull: Record<string, unknown> = {}) => ({
  event_name,
  repository,
  run_id: 4242,
  ref: 'refs/pull/7/merge',
  event: {
    action,
    pull_request: {
      number: 7,
      state: 'open',
      merged: false,
      head: { repo: { full_name: repository } },
      ...pull,
    },
  },
});
const merged = { state: 'closed', merged: true };

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
    const steps: { uses?: string; run?: string; if?: string; with?: Record<string, string> }[] =
      workflow.jobs.release.steps;
    const gate = steps.find((s) => s.uses?.startsWith('model-gate/model-gate@'));
    expect(gate).toBeDefined();
    // A failed deploy step must not skip the step that withdraws and reports; a cancel does.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${{ }} is a GitHub Actions expression
    if (DEPLOYS_CANDIDATE.includes(platform)) expect(gate?.if).toBe('${{ !cancelled() }}');
    // Versions come through the API: on pull_request_target the checkout is the base's.
    for (const step of steps.filter((s) => s.run?.includes('MODEL_FILE')))
      expect(step.run).toMatch(/gh api "repos\/\$REPO\/contents\/\$MODEL_FILE\?ref=\$1"/);
    // An expression in a script is the classic injection: PR data goes through env only.
    for (const step of steps) expect(step.run ?? '').not.toMatch(/\$\{\{/);
    const cloud = steps
      .map((s) => s.uses ?? '')
      .filter((u) => /configure-aws-credentials|google-github-actions\/auth|azure\/login/.test(u));
    if (cloud.length > 0) expect(workflow.permissions['id-token']).toBe('write');
  });

  it('uses an environment of its own, not production: approvals would hold every tick and rollback', async () => {
    const workflow = parse(await read(`${platform}/workflow.yml`));
    expect(workflow.jobs.release.environment).toBe('model-gate');
  });

  it('groups and cancels runs as the README says, on pull_request and on pull_request_target', async () => {
    const workflow = parse(await read(`${platform}/workflow.yml`));
    const group = (github: Record<string, unknown>) => value(workflow.concurrency.group, github);
    const cancels = (github: Record<string, unknown>) =>
      value(workflow.concurrency['cancel-in-progress'], github);
    const runs = (github: Record<string, unknown>) => value(workflow.jobs.release.if, github);
    for (const trigger of ['pull_request', 'pull_request_target']) {
      expect(group(pr(trigger, 'opened'))).toBe('model-gate-7');
      expect(cancels(pr(trigger, 'synchronize'))).toBe('true');
      expect(cancels(pr(trigger, 'closed', { state: 'closed' }))).toBe('true');
      expect(cancels(pr(trigger, 'labeled'))).toBe('false');
      // The merge waits for the running analysis, in the PR's group…
      expect(group(pr(trigger, 'closed', merged))).toBe('model-gate-7');
      expect(cancels(pr(trigger, 'closed', merged))).toBe('false');
      expect(runs(pr(trigger, 'closed', merged))).toBe(true);
      // …and a label put after the merge cannot replace it there: its run goes elsewhere, and does nothing.
      expect(group(pr(trigger, 'labeled', merged))).not.toBe('model-gate-7');
      expect(runs(pr(trigger, 'labeled', merged))).toBe(false);
      // Fork PRs are kept out on either trigger.
      expect(runs(pr(trigger, 'opened', { head: { repo: { full_name: 'mallory/ml' } } }))).toBe(false);
      expect(runs(pr(trigger, 'opened'))).toBe(true);
    }
    const dispatch = { event_name: 'workflow_dispatch', run_id: 99, ref: 'refs/heads/main', event: {} };
    expect(group(dispatch)).toBe('model-gate-dispatch-99');
    expect(runs(dispatch)).toBe(true);
    const tick = { event_name: 'schedule', run_id: 100, ref: 'refs/heads/main', event: {} };
    expect(group(tick)).toBe('model-gate-refs/heads/main');
    expect(cancels(tick)).toBe('false');
    expect(runs(tick)).toBe(true);
  });
});
