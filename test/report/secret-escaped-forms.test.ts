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

  it('is masked percent-encoded by any encoder, in either hex case', () => {
    addSecret('Ab3/dEf+gHi9=');
    const forms = [
      'Ab3/dEf%2BgHi9%3D', // Python's quote
      'Ab3%2FdEf+gHi9=', // Go's url.PathEscape
      'Ab3%2fdEf%2bgHi9%3d', // lower-case hex
      new URLSearchParams({ k: 'Ab3/dEf+gHi9=' }).toString().slice(2),
    ];
    for (const form of forms) expect(redact(`GET /v1?k=${form}&n=1`)).toBe('GET /v1?k=***&n=1');
    addSecret('open sesame!42');
    // A query string writes a space as `+` and `!` as %21.
    expect(redact(`?${new URLSearchParams({ p: 'open sesame!42' })}`)).toBe('?p=***');
    expect(redact('p=open%20sesame%2142')).toBe('p=***');
  });

  it('starting with punctuation is found in a long run of backslashes, which is left as it is', () => {
    for (const secret of ['-abcdefgh1', '-xyzuvw222', '-qwerty333']) addSecret(secret);
    const backslashes = '\\'.repeat(100_000);
    expect(redact(backslashes)).toBe(backslashes);
    expect(redact(`${backslashes} \\-xyzuvw222 -qwerty33`)).toBe(`${backslashes} *** -qwerty33`);
  });
});
