import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fileLedger } from '../../src/ledger/file-ledger.js';
import type { Release } from '../../src/release/types.js';

// A save no longer serializes the whole file, but writes the same file: one written by an earlier
// version loads, and one written now is the JSON an earlier version (or a hand) reads.
let path: string;
beforeEach(async () => {
  path = join(await mkdtemp(join(tmpdir(), 'model-gate-old-format-')), 'ledger.json');
});

/** A ledger as the version before this change wrote it: JSON.stringify(…, null, 2), drift and all. */
const OLD = `{
  "version": 1,
  "releases": {
    "churn": {
      "model": "churn",
      "from": "v3",
      "to": "v4",
      "pr": 9,
      "headSha": ":working-tree",
      "status": "promoted",
      "phase": 1,
      "phaseStartedAt": 5000,
      "startedAt": 1000,
      "updatedAt": 9000,
      "gates": [
        {
          "name": "errors",
          "kind": "ratio",
          "verdict": "pass",
          "failures": 0,
          "inconclusives": 1,
          "consecutiveErrors": 0,
          "last": {
            "at": 8000,
            "verdict": "pass",
            "canary": null,
            "baseline": 0.005,
            "evidence": { "method": "sequential", "interval": [null, 0.1], "eValue": 25 }
          },
          "series": [[0, 0.004, 0.005], [60, null, 0.005]]
        }
      ],
      "phases": [
        { "name": "canary 10%", "weight": 10, "startedAt": 1000, "endedAt": 5000, "outcome": "passed" },
        { "name": "canary 50%", "weight": 50, "startedAt": 5000, "endedAt": 9000, "outcome": "passed" }
      ],
      "reason": "promoted"
    }
  },
  "history": [
    {
      "model": "churn",
      "kind": "promotion",
      "version": "v4",
      "previous": "v3",
      "at": 9000,
      "pr": 9,
      "summary": "promoted after 2 steps"
    }
  ],
  "drift": [
    { "model": "churn", "version": "v4", "drifted": true, "psi": 0.3, "note": "drifted", "at": 20000 }
  ]
}
`;

const fraud: Release = {
  model: 'fraud',
  from: 'v1',
  to: 'v2',
  status: 'analysing',
  phase: 0,
  phaseStartedAt: 30_000,
  startedAt: 30_000,
  updatedAt: 30_000,
  gates: [],
  phases: [{ name: 'canary 10%', weight: 10, startedAt: 30_000 }],
  reason: 'analysing at 10%',
};

describe('the ledger file across versions', () => {
  it('loads a file an earlier version wrote, and keeps all of it when it saves', async () => {
    await writeFile(path, OLD);
    const ledger = fileLedger(path);
    const churn = await ledger.release('churn');
    expect(churn?.gates[0]?.last?.canary).toBeUndefined();
    expect(churn?.gates[0]?.series).toEqual([
      [0, 0.004, 0.005],
      [60, null, 0.005],
    ]);
    await ledger.saveRelease(fraud);
    await ledger.saveRelease({ ...fraud, updatedAt: 40_000 });
    await ledger.record({
      model: 'fraud',
      kind: 'rollback',
      version: 'v1',
      previous: 'v2',
      at: 41_000,
      summary: 'by hand',
    });
    const drift = { model: 'churn', version: 'v4', drifted: false, note: 'no drift' };
    expect(await ledger.recordDrift(drift, 50_000)).toEqual({ change: 'ended', since: 20_000 });

    const text = await readFile(path, 'utf8');
    const data = JSON.parse(text);
    // The JSON an earlier version writes, and so reads: JSON.stringify(…, null, 2), a newline.
    expect(text).toBe(`${JSON.stringify(data, null, 2)}\n`);
    // As read: the figures JSON wrote as null are absent, as an earlier version rewrote them.
    expect(data.releases.churn).toEqual(JSON.parse(JSON.stringify(churn)));
    expect(data.releases.fraud).toEqual({ ...fraud, updatedAt: 40_000 });
    expect(data.history.map((e: { kind: string }) => e.kind)).toEqual(['promotion', 'rollback']);
    expect(data.drift).toEqual([{ ...JSON.parse(OLD).drift[0] }, { ...drift, at: 50_000 }]);

    const again = fileLedger(path);
    expect(await again.release('churn')).toEqual(churn);
    expect(await again.release('fraud')).toEqual({ ...fraud, updatedAt: 40_000 });
  });
});
