import { describe, expect, it } from 'vitest';
import { addSecret, redact } from '../../src/core/redact.js';
import { escapeMarkdown } from '../../src/report/markdown.js';

// Messages reach the PR comment after Markdown escaping, and quote text others wrote: a webhook's
// note may hold a secret Markdown-escaped by its service, or percent-encoded in a URL it echoes.
const SECRETS = ['ghp_AbC*d[e]f1234', 'tok_abcdefgh12345', 'us@er:p|a`s~s$1&<x>'];
for (const secret of SECRETS) addSecret(secret);

describe('a secret', () => {
  it.each(SECRETS)('%s is masked once the report escaped it', (secret) => {
    expect(redact(escapeMarkdown(`auth=Bearer ${secret} ok`))).toBe('auth=Bearer *** ok');
  });

  it('is masked as a note escaped it, whole, in part or twice, and percent-encoded', () => {
    expect(redact('token ghp\\_AbC\\*d\\[e\\]f1234, tok\\_abcdefgh12345')).toBe('token ***, ***');
    expect(redact(escapeMarkdown('tok\\_abcdefgh12345'))).toBe('***');
    expect(redact('token ghp\\_AbC*d[e]f1234')).toBe('token ***');
    expect(redact('GET /h?k=ghp_AbC*d%5Be%5Df1234&u=us%40er%3Ap%7Ca%60s~s%241%26%3Cx%3E')).toBe(
      'GET /h?k=***&u=***',
    );
    // Not text that only resembles it.
    expect(redact('ghp_AbC*d[e]f123 tok-abcdefgh12345')).toBe('ghp_AbC*d[e]f123 tok-abcdefgh12345');
  });
});
