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
  concurrency?: { group?: string; 'cancel-in-progress'?: string };
  jobs: Record<string, { steps: Step[]; if?: string; needs?: string }>;
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

// test/targets/examples.test.ts evaluates the examples' concurrency and job conditions per event.
const example = parse(readFileSync(join(root, 'examples', 'http', 'workflow.yml'), 'utf8')) as Workflow;

it('groups and cancels runs as the examples do: a push or a close unmerged cancels, the merge waits', () => {
  for (const w of workflows) expect(w.concurrency).toEqual(example.concurrency);
});

it('runs nothing for an event on a closed PR, which has a group of its own: the merge run waits unreplaced', () => {
  for (const w of workflows) {
    const first = Object.values(w.jobs).filter((j) => j.needs === undefined);
    for (const job of first)
      expect(job.if).toBe("github.event.action == 'closed' || github.event.pull_request.state != 'closed'");
  }
});
