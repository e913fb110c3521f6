import { describe, expect, it } from 'vitest';
import { ModelGateError } from '../../src/core/errors.js';
import { addSecret, redact } from '../../src/core/redact.js';

// A service-account key file is a secret of 10 to 20 KB, most of it punctuation. Registering it
// must leave every later message readable and masked, never an error that quotes the key.
const privateKey = Array.from({ length: 240 }, (_, i) => `M+/${i}=`.repeat(12)).join('\n');
const KEY = `${JSON.stringify(
  {
    type: 'service_account',
    project_id: 'model-gate-demo',
    private_key_id: 'f3a9c2e1d0b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4',
    private_key: `-----BEGIN PRIVATE KEY-----\n${privateKey}\n-----END PRIVATE KEY-----\n`,
    client_email: 'gate@model-gate-demo.iam.gserviceaccount.com',
  },
  null,
  2,
)}\n`;
addSecret(KEY);

describe('a key file of some 20 KB registered as a secret', () => {
  it('leaves messages that do not quote it as they are', () => {
    expect(KEY.length).toBeGreaterThan(16_000);
    expect(new ModelGateError('deploy failed').message).toBe('deploy failed');
    expect(redact('x')).toBe('x');
  });

  it('is masked whole and line by line in an error, never shown', () => {
    const line = (KEY.split('\n')[3] as string).trim(); // "private_key_id": "f3a9…",
    const error = new ModelGateError(`gcloud said: ${KEY} | ${line}`);
    expect(error.message).toBe('gcloud said: *** | ***');
  });
});
