import { describe, expect, it, vi } from 'vitest';
import { addSecret } from '../../src/core/redact.js';
import { commandLine, lastLines, runCli } from '../../src/targets/cli.js';

// A failed command's stderr is quoted in its error (each line cut to 300 characters) and logged
// whole (each line cut to 2000), and a command line in a message cuts each long argument: a
// secret the command echoes (`set -x`, `curl -v`) is hidden whole or not at all. Hidden after the
// cut, a secret the cut runs through no longer matches, and its head goes out.
const SECRET = 'dpl_Zq81mW3xRv5Ty0Kp4';
addSecret(SECRET);
const HEAD = SECRET.slice(0, 6);

/** A line with SECRET starting 10 characters before `cut`. */
const lineCutInside = (cut: number) => `error: ${'x'.repeat(cut - 10 - 'error: '.length)}${SECRET} refused`;

describe('a secret across the cut of a long line', () => {
  it("shows no head of it in a failed command's excerpt", () => {
    const excerpt = lastLines(`${lineCutInside(300)}\n`);
    expect(excerpt).not.toContain(HEAD);
    expect(excerpt).toContain('***');
  });

  it('shows no head of it in a long argument of a command line', () => {
    const shown = commandLine(['deploy', `--token=${'x'.repeat(60)}${SECRET}`]);
    expect(shown).not.toContain(HEAD);
    expect(shown).toBe(`deploy "--token=${'x'.repeat(60)}***"`);
  });

  it("shows no head of it in the failed command's stderr, logged whole", async () => {
    // Two lines, so that the log shows more than the error's excerpt.
    const stderr = `first line\n${lineCutInside(2000)}\n`.repeat(3);
    let log = '';
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      log += String(chunk);
      return true;
    });
    try {
      await runCli(
        [process.execPath, '-e', `process.stderr.write(${JSON.stringify(stderr)}); process.exit(3)`],
        {
          timeoutMs: 10_000,
          label: 'the apply command',
        },
      );
    } finally {
      write.mockRestore();
    }
    expect(log).toContain('the apply command failed (exit 3); its stderr:');
    expect(log).not.toContain(HEAD);
    expect(log).toContain('  | error: xxx');
  });
});
