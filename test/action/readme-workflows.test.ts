import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

// The workflows the README tells users to copy: they must parse, pass only inputs the action
// declares, and grant the permissions model-gate writes with.
const root = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const declared = Object.keys(
  (parse(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs,
);

interface Step {
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  permissions?: Record<string, string>;
  concurrency?: { 'cancel-in-progress'?: string };
  jobs: Record<string, { steps: Step[] }>;
}

const workflows = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
  .map((m) => parse(m[1] ?? '') as Partial<Workflow> | null)
  .filter((w): w is Workflow => typeof w?.jobs === 'object');

it('shows workflows that pass only declared inputs to the action', () => {
  expect(workflows.length).toBeGreaterThanOrEqual(2);
  const steps = workflows.flatMap((w) => Object.values(w.jobs).flatMap((j) => j.steps));
  const ours = steps.filter((s) => s.uses?.startsWith('model-gate/model-gate@'));
  expect(ours.length).toBeGreaterThanOrEqual(3);
  for (const step of ours)
    for (const input of Object.keys(step.with ?? {})) expect(declared).toContain(input);
});

it('grants what model-gate writes: the comment, the ledger, the commit status and queued re-runs', () => {
  expect(workflows[0]?.permissions).toMatchObject({
    'pull-requests': 'write',
    deployments: 'write',
    statuses: 'write',
    actions: 'write',
  });
});

it('cancels a running analysis only on a new push or a close unmerged: a label, a reopen or the merge waits', () => {
  for (const w of workflows)
    expect(w.concurrency?.['cancel-in-progress']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${{ }} is a GitHub Actions expression
      "${{ github.event_name == 'pull_request' && (github.event.action == 'synchronize' || (github.event.action == 'closed' && !github.event.pull_request.merged)) }}",
    );
});
