import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileSource } from '../../src/metrics/file-source.js';
import type { MetricWindow } from '../../src/metrics/source.js';

// The file source invites a process beside the job to keep appending to a JSONL file: a look that
// reads it mid-write sees a last line cut short. That line is not there yet, not a broken file;
// counted as an error look, it moved the release towards consecutive-error-limit.

let root: string;
const w: MetricWindow = { model: 'fraud', slot: 'stable', version: 'v1', since: 0, until: 60_000 };
const requestsOf = (name: string) =>
  fileSource({ type: 'file', path: name, requests: 'requests' }, root).requests(w);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-gate-file-appending-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a JSONL metrics file still being appended to', () => {
  it('reads the lines before a last line cut short', async () => {
    await writeFile(
      join(root, 'm.jsonl'),
      '{"slot":"stable","version":"v1","requests":120}\n{"slot":"stable","version":"v1","requ',
    );
    expect(await requestsOf('m.jsonl')).toBe(120);
  });

  it('still refuses a broken line before the last, and a last line ended by a newline', async () => {
    await writeFile(
      join(root, 'middle.jsonl'),
      '{"slot":"stable","version":"v1","requ\n{"slot":"stable","version":"v1","requests":120}',
    );
    await expect(requestsOf('middle.jsonl')).rejects.toThrow(
      'file: middle.jsonl:1 is not valid JSON (it ends too early)',
    );
    await writeFile(join(root, 'ended.jsonl'), '{"slot":"stable","version":"v1","requests":120}\n{oops\n');
    await expect(requestsOf('ended.jsonl')).rejects.toThrow('file: ended.jsonl:2 is not valid JSON');
  });
});
