import { describe, expect, it } from 'vitest';
import { checkOffline } from '../../src/gates/offline-gate.js';
import { memoryFileReader } from '../../src/version/changed-models.js';

// JSON.parse keeps the last of a key written twice (`{"auc": 0.5, "auc": 0.95}` read 0.95 and
// passed) where the same mapping in YAML is refused: an evaluation that says two things must not pass.
const EVAL = 'models/fraud/eval.json';

async function judged(evaluation: string) {
  const reader = memoryFileReader({ head: { [EVAL]: evaluation }, base: {} });
  const gate = { kind: 'offline' as const, name: 'auc', file: EVAL, key: 'auc', min: 0.9 };
  return checkOffline(gate, reader, { base: 'base', head: 'head', version: 'v2' }, 0);
}

describe('an offline gate whose JSON evaluation holds a key twice', () => {
  it('fails, naming the key and where it stands both times', async () => {
    const state = await judged('{"auc": 0.5, "auc": 0.95}\n');
    expect(state).toMatchObject({
      verdict: 'fail',
      reason: `auc: ${EVAL}:1:14: key "auc" is there twice in the same object (first at 1:2), so which value is the evaluation's is ambiguous: keep one`,
    });
    // Nested, on other lines, and written with an escape: the same key all the same.
    const nested = await judged(
      '{\n  "auc": 0.95,\n  "per_class": {\n    "fraud": 0.7,\n    "fr\\u0061ud": 0.99\n  }\n}\n',
    );
    expect(nested.last?.note).toBe(
      `${EVAL}:5:5: key "fraud" is there twice in the same object (first at 4:5), so which value is the evaluation's is ambiguous: keep one`,
    );
  });

  it('passes the same key in different objects, and keys quoted inside strings', async () => {
    const state = await judged(
      '{"auc": 0.95, "runs": [{"auc": 0.94}, {"auc": 0.96}], "cmd": "eval \\"auc\\": {\\"auc\\": 1}", "m": {"auc": 0.9}}',
    );
    expect(state).toMatchObject({ verdict: 'pass', last: { canary: 0.95 } });
  });
});
