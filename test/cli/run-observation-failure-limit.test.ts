import { expect, it, vi } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { useCliRunWorld } from '../support/cli-run-world.js';
import { failedReleaseLog, type RecordedLook } from '../support/observation-release.js';

// A gate with `failure-limit: 2` fails its release on the 3rd failed look of a step, not the 1st.
// The release's observation log says so (each line carries the gate's failureLimit), and
// `model-gate analyze` fails the gate at that same look, on its evidence, as the release did.
vi.setConfig({ testTimeout: 90_000 });
const world = useCliRunWorld();

const GATES = `
      - { name: errors, kind: ratio, events: errors, max-increase: 10%, failure-limit: 2 }`;

it('replays a failure-limit as the release applied it: the gate fails at its 3rd failed look', async () => {
  const { repo, gate: gateNamed, file, lines } = await failedReleaseLog(world, GATES);
  const gate = gateNamed('errors');
  const recorded = gate.last as RecordedLook;
  expect(recorded.verdict).toBe('fail');
  expect(gate.failures).toBe(3);

  for (const line of lines) expect(line).toMatchObject({ gate: 'errors', failureLimit: 2 });

  const analyzed = await runCli(repo.dir, ['analyze', file, '--json']);
  expect(analyzed.code, analyzed.stderr).toBe(1);
  const errors = JSON.parse(analyzed.stdout).gates[0];
  expect(errors.decided.verdict).toBe('fail');
  // The look the release failed on, with its evidence; the two failed looks before it tolerated.
  expect(Date.parse(errors.decided.time)).toBe(recorded.at);
  const look = errors.looks.find((l: { line: number }) => l.line === errors.decided.line);
  expect(look.evidence.effect).toBe(recorded.evidence?.effect);
  expect(Number(look.evidence.eValue)).toBe(recorded.evidence?.eValue ?? Number.POSITIVE_INFINITY);
  const failed = errors.looks.filter((l: { verdict: string }) => l.verdict === 'fail');
  expect(failed).toHaveLength(3);
  expect(failed[0].note).toContain('1 look showing a regression, within failure-limit 2');
  expect(failed[1].note).toContain('2 looks showing a regression, within failure-limit 2');
  expect(failed[2].line).toBe(errors.decided.line);
  expect(failed[2].note).toContain('3 looks showing a regression, over failure-limit 2');

  const text = await runCli(repo.dir, ['analyze', file]);
  expect(text.stdout).toContain(`errors: failed at ${new Date(recorded.at).toISOString()}`);
});
