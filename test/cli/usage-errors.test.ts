import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

// Usage errors, as a user sees them from each command: one line on stderr, exit code 2, before
// anything is read or deployed. Exit code 1 stays for a bad file and a failed release (analyze
// has its own: 3 for a bad file, docs/observations.md).
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'model-gate-usage-'));
});

const DEMO = 'usage: model-gate demo [--strategy canary|linear|blue-green|shadow|ab|rolling]';
const ANALYZE = 'usage: model-gate analyze <observations.jsonl> [--json] [--alpha A]';
const RUN = 'usage: model-gate run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options]';

describe('usage errors', () => {
  it.each([
    [
      ['validate', '--bogus'],
      'model-gate validate: unknown option --bogus (usage: model-gate validate [config])',
    ],
    [
      ['validate', 'a.yml', 'b.yml'],
      'model-gate validate: unexpected argument "b.yml" (usage: model-gate validate [config])',
    ],
    [
      ['demo', '--strategy', 'bogus'],
      `model-gate demo: --strategy: "bogus" is not one of canary, linear, blue-green, shadow, ab, rolling (${DEMO})`,
    ],
    [['demo', '--bogus'], `model-gate demo: unknown option --bogus (${DEMO})`],
    [['analyze', '--bogus'], `model-gate analyze: unknown option --bogus (${ANALYZE})`],
    [
      ['analyze', 'x.jsonl', '--alpha', '2'],
      `model-gate analyze: --alpha needs a number in (0, 1), got "2" (${ANALYZE})`,
    ],
    [['analyze'], `model-gate analyze: expected one observation file, got none (${ANALYZE})`],
    [
      ['plan', '--bogus'],
      'model-gate plan: unknown option --bogus (usage: model-gate plan [--config PATH] [--base REF] [--head REF] [--json])',
    ],
    [
      ['plan', '--config'],
      "model-gate plan: option '--config <value>' argument missing (usage: model-gate plan [--config PATH] [--base REF] [--head REF] [--json])",
    ],
    [['run', 'status', '--bogus'], `model-gate run: unknown option --bogus (${RUN})`],
    [
      ['run', 'deploy'],
      `model-gate run: expected one event of release, reopen, merge, close, tick, rollback, promote, abort, status, got "deploy" (${RUN})`,
    ],
    [
      ['run', 'status', '--pr', 'x'],
      `model-gate run: --pr: expected a pull request number, got "x" (${RUN})`,
    ],
    [
      ['run', 'status', '--pr', '1e3'],
      `model-gate run: --pr: expected a pull request number, got "1e3" (${RUN})`,
    ],
    [
      ['run', 'tick', '--max-wait', 'soon'],
      `model-gate run: --max-wait: expected a duration such as "500ms", "30s", "10m", "1h30m" or "2d", got "soon" (${RUN})`,
    ],
    [['run', 'tick', '--mode', 'once'], `model-gate run: --mode must be watch or tick, got "once" (${RUN})`],
    [
      ['deploy'],
      'model-gate: unknown command "deploy" (commands: analyze, demo, plan, run, sandbox, validate; model-gate --help)',
    ],
  ])('%j exits 2 with one line', async (args, line) => {
    const run = await runCli(dir, args);
    expect(run.stderr).toBe(`${line}\n`);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(2);
  });

  it.each([['run'], ['plan'], ['demo'], ['analyze'], ['validate'], ['sandbox']])(
    '%s --help gives the exit codes, 2 for a usage error',
    async (command) => {
      const run = await runCli(dir, [command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^exit code: 0 [\s\S]*, 1 when [\s\S]*, 2 on a\s+usage error/m);
    },
  );
});

describe('model-gate validate', () => {
  it('says to check the path given, or to give one, when the config is missing, exit code 1', async () => {
    const run = await runCli(dir, ['validate', 'nope.yml']);
    expect(run.stderr).toBe(
      'nope.yml: config file not found; create it (see docs/configuration.md) or check the path given to model-gate validate\n',
    );
    expect(run.code).toBe(1);
    const byDefault = await runCli(dir, ['validate']);
    expect(byDefault.stderr).toBe(
      '.github/model-gate.yml: config file not found; create it (see docs/configuration.md) or pass its path: model-gate validate PATH\n',
    );
    expect(byDefault.code).toBe(1);
  });
});

describe('model-gate analyze', () => {
  it('names every bad line and field in words, file:line: field: message, exit code 3', async () => {
    const lines = [
      { time: 1, gate: 'errors', kind: 'counts', canary: { events: 1, total: 10 } },
      { time: 1, gate: 'split', kind: 'srm', canary: { total: 10 }, baseline: { total: 190 } },
      { time: 1, gate: 'split', kind: 'srm', split: 5, canary: { totl: 10 }, baseline: { total: 190 } },
      { time: true, gate: 'p95', kind: 'latency', canary: { buckets: 1 }, baseline: { samples: [1] } },
      {
        time: 1,
        gate: 'errors',
        kind: 'ratio',
        canary: { events: 'x', total: 10 },
        baseline: { events: 1, total: 10 },
        maxIncrese: 0.1,
      },
      42,
      { time: 1, gate: 'g' },
    ];
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const run = await runCli(dir, ['analyze', 'bad.jsonl']);
    expect(run.stderr.split('\n')).toEqual([
      'model-gate analyze: bad.jsonl:1: kind: expected one of "ratio", "latency", "conversion", "srm", "drift" or "mann-whitney", got "counts"',
      'model-gate analyze: bad.jsonl:2: split: required for kind "srm"',
      'model-gate analyze: bad.jsonl:3: split: expected a number less than 1, got 5',
      'model-gate analyze: bad.jsonl:3: canary.total: required',
      'model-gate analyze: bad.jsonl:3: canary.totl: unknown key, did you mean "total"?',
      'model-gate analyze: bad.jsonl:4: time: expected a number or a string, got true',
      'model-gate analyze: bad.jsonl:4: canary.buckets: expected a list, got 1',
      'model-gate analyze: bad.jsonl:5: canary.events: expected a number, got "x"',
      'model-gate analyze: bad.jsonl:5: maxIncrese: unknown key, did you mean "maxIncrease"?',
      'model-gate analyze: bad.jsonl:6: expected a JSON object, got 42',
      'model-gate analyze: bad.jsonl:7: kind: required, one of "ratio", "latency", "conversion", "srm", "drift" or "mann-whitney"',
      '',
    ]);
    expect(run.code).toBe(3);
  });
});
