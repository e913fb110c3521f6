/**
 * `model-gate --help` lists every option of each command's synopsis: `sandbox --models-dir
 * --model --stable` (serving your own models) was missing from it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-help-'));

describe('model-gate --help', () => {
  it("lists every option of sandbox's synopsis, --models-dir --model --stable among them", async () => {
    const [top, sandbox] = await Promise.all([runCli(dir, ['--help']), runCli(dir, ['sandbox', '--help'])]);
    // The synopsis: the usage line and its continuation lines of options (`  [--shift X …]`).
    const synopsis = sandbox.stdout.split('\n').filter((line, i) => i === 0 || /^\s+\[/.test(line));
    const options = synopsis.join(' ').match(/--[a-z-]+/g) ?? [];
    expect(options).toEqual(expect.arrayContaining(['--models-dir', '--model', '--stable']));
    const listed = top.stdout.slice(top.stdout.indexOf('  sandbox '), top.stdout.indexOf('  validate '));
    for (const option of options) expect(listed).toContain(`${option} `);
    expect(top.code).toBe(0);
  });
});
