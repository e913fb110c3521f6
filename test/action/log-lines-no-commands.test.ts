import { describe, expect, it, vi } from 'vitest';
import { actionPorts } from '../../src/action/ports.js';
import { parseConfig } from '../../src/config/load.js';
import { FRAUD_ON_SANDBOX } from '../support/main-step.js';

// What model-gate logs with core.info goes to the job's log as written, and the runner reads a
// line there as a workflow command when it starts with `::` after blanks, or holds `##[` and a
// command's name: a platform's or a PR's words in a message could set an output, mask text, stop
// commands or forge an annotation. The action's log (its ports) keeps every line as text.

/** The lines of `log` the runner would obey (actions/runner ActionCommand.TryParseV2, TryParse). */
const commandLines = (log: string) =>
  log.split(/\r\n|\r|\n/).filter((line) => line.trimStart().startsWith('::') || line.includes('##['));

function infoLog(message: string): string {
  const config = parseConfig(FRAUD_ON_SANDBOX, { SANDBOX_URL: 'http://127.0.0.1:1' }).config;
  const inputs = {
    config: '.github/model-gate.yml',
    mode: 'watch' as const,
    maxWaitMs: 60_000,
    dryRun: true,
    ledger: '/tmp/model-gate-ledger-unused.json',
    githubToken: '',
  };
  const { ports } = actionPorts(config, inputs, {}, { kind: 'schedule' });
  let log = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    log += String(chunk);
    return true;
  });
  try {
    ports.log.info(message);
  } finally {
    write.mockRestore();
  }
  return log;
}

describe("the action's log of a message quoting others' words", () => {
  it('holds no line the runner reads as a command, and still every word', () => {
    const forged = [
      'fraud: the platform said: done',
      '::set-output name=decision::passed',
      '  \t::error title=forged::all gates passed',
      'then \r::add-mask::v2',
      'and ##[stop-commands]token mid-line',
    ].join('\n');
    const log = infoLog(forged);
    expect(commandLines(log)).toEqual([]);
    expect(log).toBe(
      [
        'fraud: the platform said: done',
        '| ::set-output name=decision::passed',
        '|   \t::error title=forged::all gates passed',
        'then ',
        '| ::add-mask::v2',
        'and ## [stop-commands]token mid-line',
        '',
      ].join('\n'),
    );
  });

  it('leaves a message of plain lines as written', () => {
    const plain = 'fraud: step 1 of 2 at 10%: errors 0.4% (max 2%)\n  waiting 30s for the next look';
    expect(infoLog(plain)).toBe(`${plain}\n`);
  });
});
