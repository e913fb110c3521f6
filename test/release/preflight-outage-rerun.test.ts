import { describe, expect, it } from 'vitest';
import type { Release } from '../../src/release/types.js';
import { API_KEY, usePreflightOutageWorld } from './preflight-outage-world.js';

// A PR opened while Datadog answered 429: the metrics check before traffic tried 3 times 5 s apart,
// then ended the release failed, advising to "lengthen the strategy's interval", and a re-run once
// Datadog answered again was refused ("this head already failed its analysis … push a new commit")
// though v2 was never deployed nor judged. A check that met only passing faults now ends so that
// a re-run of the same head analyses it again; refused credentials still fail the head for good.
// The real sandbox target, the Datadog API stand-in, a file ledger, PR #7 moving v1 to v2.
const world = usePreflightOutageWorld();
const { prOnDatadog, served, commitStatus } = world;

describe('the metrics check before traffic meets a rate limit, then Datadog answers again', () => {
  it('deploys nothing and says to re-run; the re-run on the same head analyses v2 and gives it its first step', async () => {
    const pr = await prOnDatadog(API_KEY);
    world.dd.mode = 'rate-limited';
    const started = pr.clock.now();
    const first = await pr.run();
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    const [ended] = first.result.releases;
    expect(ended?.status).toBe('failed');
    const lead =
      /^v2 not deployed: metrics source datadog unreadable before traffic; re-run the job once datadog answers \(after (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\): gate errors: datadog: rate limited \(HTTP 429\), retry in 42s/;
    expect(ended?.reason).toMatch(lead);
    // The stand-in's X-RateLimit-Reset is 42 s: the reset's minute, rounded up.
    const after = Date.parse(`${lead.exec(ended?.reason ?? '')?.[1]}Z`);
    expect(Math.abs(after - (started + 42_000))).toBeLessThan(2 * 60_000);
    expect(first.report).toContain(ended?.reason);
    expect(first.report).toContain('a re-run of this job analyses this commit again');
    for (const text of [first.report, ended?.reason])
      for (const wrong of [
        "lengthen the strategy's interval",
        'consecutive-error-limit',
        'push a new commit',
        'rolled back',
      ])
        expect(text).not.toContain(wrong);
    const status = await commitStatus(ended as Release);
    expect(status?.state).toBe('failure');
    expect(status?.description).toMatch(
      /^v2 not deployed: metrics source datadog unreadable before traffic; re-run the job once datadog answers \(after \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/,
    );

    pr.clock.advance(31 * 60_000);
    world.dd.mode = 'ok';
    const again = await pr.run();
    const [analysing] = again.result.releases;
    expect(analysing?.status).toBe('analysing');
    expect(analysing?.phase).toBe(0);
    expect(await served()).toMatchObject({
      stable: { version: 'v1' },
      canary: { version: 'v2', weight: 10 },
    });
    expect(again.report).not.toContain('already failed its analysis');
    expect(pr.lines.join('\n')).toContain('could not be read before any traffic: analysing v2');
  });
});

describe('the metrics check before traffic meets refused credentials (403)', () => {
  it('fails the head for good: nothing deployed, and a re-run is refused', async () => {
    const pr = await prOnDatadog('a-revoked-key');
    const first = await pr.run();
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(first.result.releases[0]?.status).toBe('failed');
    expect(first.result.releases[0]?.reason).toMatch(
      /^metrics check before traffic failed: .*datadog: HTTP 403 \(Forbidden\); the server refused the credentials/,
    );
    expect(first.report).not.toContain('a re-run of this job analyses this commit again');

    pr.clock.advance(31 * 60_000);
    const again = await pr.run();
    expect(again.result.releases[0]?.status).toBe('failed');
    expect(await served()).toEqual({ stable: { version: 'v1' } });
    expect(again.report).toContain('already failed its analysis');
  });
});
