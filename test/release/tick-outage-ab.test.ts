import { describe, expect, it } from 'vitest';
import { abGates, abStrategy, evenArms, HOUR, tickedRelease } from './tick-outage-world.js';

// A 14-day A/B waits an hour for its conversion gate's first counts (NO_DATA_GRACE_MS). Under
// hourly ticks the first look after that hour is the only one: an outage on it is no missing data.

describe('an A/B driven by hourly ticks', () => {
  it('goes on after a metrics outage on the first tick past its first hour', async () => {
    const w = await tickedRelease(abStrategy, abGates, evenArms(1));
    expect((await w.open())?.status).toBe('analysing');
    w.clock.advance(HOUR + 60_000);
    w.metrics.failing = true;
    const down = await w.tick();
    expect(down?.status).toBe('analysing');
    expect(down?.reason).toContain(
      'conversion (no answer from the metric source past the 1h allowed for first counts: metrics backend unreachable; the next look judges it, 1 unanswered in a row of the 4 consecutive-error-limit tolerates)',
    );
    expect(down?.reason).not.toContain('check them');

    w.clock.advance(HOUR);
    w.metrics.failing = false;
    const next = await w.tick();
    expect(next?.status).toBe('analysing');
    expect(next?.reason).toMatch(/waiting for conversion \([\d,]+ of [\d,]+ planned candidate users/);
  });

  it('still fails in its first hour on counts that answered as no data', async () => {
    const w = await tickedRelease(abStrategy, abGates, evenArms(1));
    await w.open();
    w.clock.advance(HOUR + 60_000);
    w.metrics.nan = true;
    const r = await w.tick();
    expect(r?.status).toBe('failed');
    expect(r?.reason).toMatch(
      /^no conclusive evidence within 1h at A\/B .*returned no data for both arms within 1h/,
    );
  });
});
