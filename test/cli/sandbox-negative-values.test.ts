/**
 * A negative number given to a sandbox option as its own argument (`--port -1`) is refused in
 * the option's words, the range it takes, not with parseArgs' "argument is ambiguous … use
 * '--port=-XYZ'", which reads as if the value were missing.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sandboxCommand } from '../../src/cli/sandbox-command.js';

afterEach(() => vi.restoreAllMocks());

describe('model-gate sandbox with a negative value', () => {
  it.each([
    [['--port', '-1'], '--port: must be from 0 to 65535, got -1'],
    [['--traffic', '-5'], '--traffic: must be requests per second (a number >= 0), got "-5"'],
    [['--traffic', '50', '--feedback-delay', '-3'], '--feedback-delay: must be at least 0, got -3'],
    [['--conversion-rate', '-0.2'], '--conversion-rate: must be a probability from 0 to 1, got "-0.2"'],
  ])('refuses %j naming the range, exit code 2', async (argv, message) => {
    const err: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    expect(await sandboxCommand(argv)).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(
      new RegExp(`^model-gate sandbox: ${message.replace(/[()[\].*+?^$|]/g, '\\$&')} \\(usage: `),
    );
    expect(err[0]).not.toContain('ambiguous');
  });
});
