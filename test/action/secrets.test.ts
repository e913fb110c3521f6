import { describe, expect, it } from 'vitest';
import { secretsToMask } from '../../src/action/secrets.js';
import { parseConfig } from '../../src/config/load.js';

const CONFIG = `version: 1
defaults:
  metrics: { type: sandbox, url: "\${SANDBOX_URL}" }
models:
  fraud:
    source: { file: models/fraud.yaml, key: version }
    strategy: { type: canary, steps: [10, 50] }
    target:
      type: command
      apply: [deploy, "--password=\${CMD_PASS}", "--region=\${REGION}", "{{candidate}}", "{{weight}}"]
      read: [state, "\${STATE_URL}"]
    gates:
      - { name: approval, kind: webhook, url: "https://hooks.example/check", headers: { Authorization: "Bearer \${HOOK_TOKEN}" } }
`;

describe('what the action masks in the log', () => {
  it('secret fields whole, and a secret-named variable wherever the config puts it, but not the rest', () => {
    const env = {
      SANDBOX_URL: 'http://127.0.0.1:8080',
      HOOK_TOKEN: 'hook-0123',
      CMD_PASS: 'CMDPASS_s3cr3t',
      REGION: 'eu-west-1',
      STATE_URL: 'https://state.example/fraud',
    };
    const { interpolated } = parseConfig(CONFIG, env);
    expect(secretsToMask(interpolated, env).sort()).toEqual([
      'Bearer hook-0123',
      'CMDPASS_s3cr3t',
      'hook-0123',
    ]);
  });
});
