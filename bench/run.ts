/** One simulated step: the traffic of one seed, watched by every method at once. */
import { Random } from '../src/core/random.js';
import { bonferroni } from '../src/stats/alpha.js';
import { FixedHorizon, Kayenta, type Monitor, Ours, type Outcome, Threshold } from './methods.js';
import { type Scenario, SHARES, TICKS } from './model.js';
import { Oracle } from './oracle.js';
import { Traffic } from './traffic.js';

export const ALPHA = 0.05;

/**
 * Two of the project's generators added modulo 1: the pair of 32-bit states makes two runs'
 * streams overlap with probability ~2^-64 instead of the ~2^-32 × draws of a single one.
 */
class RunRandom extends Random {
  private readonly other: Random;
  constructor(a: number, b: number) {
    super(a);
    this.other = new Random(b);
  }
  override next(): number {
    const x = super.next() + this.other.next();
    return x >= 1 ? x - 1 : x;
  }
}

/** MurmurHash3's finalizer: well-mixed 32-bit seeds from small integers. */
function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ x, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The run's generator: the same share and run index give the same background traffic in every scenario. */
export const runRandom = (shareIndex: number, run: number) =>
  new RunRandom(mix(shareIndex, run, 1), mix(shareIndex, run, 2));

export type MethodName = 'ours' | 'ours-release' | 'kayenta' | 'threshold' | 'fixed' | 'oracle';

/** Per method, per gate: [failTick, failRequests, passTick, rawPassTick]. */
export type RunResult = Partial<Record<MethodName, Record<string, [number, number, number, number]>>>;

export async function runOne(scenario: Scenario, shareIndex: number, run: number): Promise<RunResult> {
  const share = SHARES[shareIndex] as number;
  const traffic = new Traffic(runRandom(shareIndex, run), share, scenario.effect, scenario.gates);
  const monitors: Partial<Record<MethodName, Monitor>> = { ours: new Ours(scenario.gates, share, ALPHA) };
  if (scenario.kind !== 'regression') {
    // A whole release: every gate and the split check share alpha (Bonferroni).
    monitors['ours-release'] = new Ours(scenario.gates, share, bonferroni(ALPHA, scenario.gates.length + 1));
  }
  if (scenario.kind !== 'srm') {
    monitors.kayenta = new Kayenta(scenario.gates);
    monitors.threshold = new Threshold(scenario.gates);
    monitors.fixed = new FixedHorizon(scenario.gates, share);
  }
  if (scenario.kind === 'regression') monitors.oracle = new Oracle(scenario.gates, traffic, ALPHA);
  const active = Object.values(monitors);
  for (let tick = 0; tick < TICKS; tick++) {
    traffic.step();
    let open = false;
    for (const m of active) {
      if (m.done) continue;
      const pending = m.look(traffic);
      if (pending) await pending;
      open ||= !m.done;
    }
    if (!open) break;
  }
  const result: RunResult = {};
  for (const [name, m] of Object.entries(monitors) as [MethodName, Monitor][]) {
    result[name] = Object.fromEntries(
      [...m.outcomes].map(([g, o]: [string, Outcome]) => [
        g,
        [o.failTick, o.failRequests, o.passTick, o.rawPassTick],
      ]),
    );
  }
  return result;
}
