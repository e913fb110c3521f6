import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';

// A ledger that does not parse (a hand edit gone wrong) was answered "fix it, or delete it to start
// from an empty ledger": deleting one that holds a release in flight forgets its candidate, still
// live. The way out now warns of that, as the empty ledger's does ("restore it if it held releases").
const WARNING =
  'fix it, or restore it if it held releases: deleting it starts an empty ledger, which forgets any candidate in flight while it may still get live traffic';

let path: string;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-ledger-unparsed-')), 'ledger.json');
});

describe('a ledger that does not parse', () => {
  it.each([
    ['not JSON', '{"version": 1, "releases": {"fraud": ', /^the ledger .+ is not valid JSON \(.+\): /],
    ['not a ledger', '[]', /^the ledger .+ is not one model-gate wrote \(expected a mapping, got a list\): /],
  ])('%s: says deleting it forgets a candidate in flight', async (_, text, start) => {
    await writeFile(path, text);
    const reading = fileLedger(path).release('fraud');
    await expect(reading).rejects.toThrow(start);
    await expect(reading).rejects.toThrow(new RegExp(`: ${WARNING}$`));
  });
});
