import { describe, expect, it } from 'vitest';
import { SERVED_MAX_ENTRIES, ServedLog, type ServedRequest } from '../../src/sandbox/served-log.js';

const served = (version: string): ServedRequest => ({
  slot: 'stable',
  version,
  prediction: 1,
  conversionFactor: 1,
  feedback: false,
});

describe('ServedLog', () => {
  it('forgets a request after the TTL', () => {
    let now = 0;
    const log = new ServedLog(10, 1000, () => now);
    log.remember('m', 'a', served('v1'));
    now = 1000;
    expect(log.find('m', 'a')?.version).toBe('v1');
    now = 1001;
    expect(log.find('m', 'a')).toBeUndefined();
    expect(log.size).toBe(0);
  });

  it('keeps at most `max` entries, dropping the oldest first, and prunes expired ones as it goes', () => {
    let now = 0;
    const log = new ServedLog(3, 1000, () => now);
    for (const id of ['a', 'b', 'c', 'd']) log.remember('m', id, served(id));
    expect(log.size).toBe(3);
    expect(log.find('m', 'a')).toBeUndefined();
    expect(log.find('m', 'd')?.version).toBe('d');
    now = 5000;
    log.remember('m', 'e', served('e'));
    expect(log.size).toBe(1);
  });

  it('moves a repeated id to the newest end, keeps models apart, and holds 200k by default', () => {
    const log = new ServedLog(2);
    log.remember('m', 'a', served('first'));
    log.remember('m', 'b', served('b'));
    log.remember('m', 'a', served('second'));
    log.remember('m', 'c', served('c'));
    expect(log.find('m', 'b')).toBeUndefined();
    expect(log.find('m', 'a')?.version).toBe('second');
    expect(log.find('other', 'a')).toBeUndefined();
    // The default bound, for a sandbox serving 200 req/s for hours.
    expect(SERVED_MAX_ENTRIES).toBe(200_000);
  });
});
