/**
 * An empty ledger file is refused as empty, not "not valid JSON (Unexpected end of JSON input)",
 * and not read as an empty ledger: model-gate replaces its ledger whole and never leaves it
 * empty, so an empty one was emptied (`> ledger.json`) or made by hand, and taking it for "no
 * releases" would forget candidates that may still be live.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'model-gate-empty-ledger-'));
writeFileSync(
  join(dir, 'model-gate.yml'),
  `version: 1
defaults:
  target: { type: sandbox, url: "http://127.0.0.1:9" }
  metrics: { type: sandbox, url: "http://127.0.0.1:9" }
models:
  fraud-detector:
    source: { file: models/fraud-detector/model.yaml, key: version }
    strategy: { type: canary, steps: [50] }
    gates: []
`,
);

describe('run on an empty ledger file', () => {
  it.each([
    ['empty', ''],
    ['blank', ' \n'],
  ])('refuses one that is %s, saying it is empty and what to do, exit code 1', async (name, text) => {
    const ledger = `${name}.json`;
    writeFileSync(join(dir, ledger), text);
    const run = await runCli(dir, ['run', 'status', '--config', 'model-gate.yml', '--ledger', ledger]);
    expect(run.stderr).toBe(
      `model-gate run: the ledger ${ledger} is empty: model-gate never writes an empty ledger, so it was emptied or created by hand; restore it if it held releases, or delete it to start from an empty ledger\n`,
    );
    expect(run.code).toBe(1);
  });
});
