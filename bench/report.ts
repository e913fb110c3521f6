/** The benchmark's tables, in markdown: written to bench/results.md and printed. */
import type { Results, Row } from './aggregate.js';
import { GATES, HORIZON_MINUTES, SHARES, TICK_SECONDS } from './model.js';
import type { MethodName } from './run.js';

const METHOD_LABEL: Record<MethodName, string> = {
  ours: 'ours (anytime-valid)',
  'ours-release': 'ours, whole release (α split)',
  kayenta: 'Kayenta-style (MW every 10 min)',
  threshold: 'Flagger-style threshold',
  fixed: 'fixed-horizon z-test',
  oracle: 'reference: SPRT told the true effect',
};

const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;
const num = (x: number | undefined) => (x === undefined ? '–' : String(Math.round(x)));
const min = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(1));

/** A markdown table with its columns padded, as the formatter (biome) writes it. */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function markdown(
  r: Results,
  meta: { nullRuns: number; runs: number; elapsedSeconds: number; workers: number },
): string {
  const out: string[] = [];
  out.push('# Judges benchmark');
  out.push('');
  out.push(
    `Seeded simulation (\`npm run bench:judges\`): Poisson arrivals at 100 req/s with a ±30% daily cycle, bursts (×2, ` +
      `1-3 min) and shocks shared by both arms (about hourly, 2-6 min: errors ×3, nulls ×2, latency ×1.3, conversion ` +
      `×0.85); one step of at most ${HORIZON_MINUTES} min per run; ours looks every ${TICK_SECONDS} s. ` +
      `${meta.nullRuns} null runs and ${meta.runs} runs per regression cell per share; every method sees the same ` +
      `traffic in a run. Alpha 0.05 per gate; "requests" are canary requests. Medians and p90s count a run ` +
      `that never detected as never, so they are "–" when fewer than half (a tenth) of the runs detected. ` +
      `${meta.workers} worker(s), ${Math.round(meta.elapsedSeconds)} s.`,
  );
  out.push('');
  out.push('## Done when');
  out.push('');
  out.push(
    table(
      ['check', 'target', 'measured', 'met'],
      r.doneWhen.map((d) => [d.check, d.target, d.figure, d.met ? 'yes' : '**no**']),
    ),
  );
  out.push('');
  out.push(
    'The reference in brackets, and in the detection table, is not a method anyone could run: ' +
      "Wald's SPRT told the candidate's true effect, on the same events as ours, looked at as often. " +
      'Among tests with its error rates it has the smallest expected sample size (Wald & Wolfowitz, 1948), ' +
      'so its figures show what watching continuously at this alpha costs: where even it misses a target, ' +
      'a judge that must work for effects nobody told it cannot be expected to meet it.',
  );
  out.push('');
  out.push('## False positives under the null (95% Wilson interval)');
  out.push('');
  const nullHead = ['method', 'share', ...GATES, 'srm', 'any gate'];
  const cellOf = (row: Row | undefined) =>
    row ? `${pct(row.rate, 2)} (${pct(row.wilson[0], 2)}–${pct(row.wilson[1], 2)})` : '–';
  const nullRows: string[][] = [];
  for (const method of ['ours', 'ours-release', 'kayenta', 'threshold', 'fixed'] as MethodName[]) {
    for (const share of SHARES) {
      const find = (gate: string) =>
        r.nullRows.find((x) => x.method === method && x.share === share && x.gate === gate);
      if (!find('any')) continue;
      nullRows.push([
        METHOD_LABEL[method],
        pct(share, 0),
        ...[...GATES, 'srm'].map((g) => (method === 'ours-release' ? '' : cellOf(find(g)))),
        cellOf(find('any')),
      ]);
    }
  }
  out.push(table(nullHead, nullRows));
  out.push('');
  const passes = r.nullRows.filter((x) => x.method === 'ours' && x.gate !== 'any' && x.gate !== 'srm');
  out.push(
    `Ours ends a healthy step early ("no regression beyond tolerance", once the split is verified): ` +
      SHARES.map((share) => {
        const rows = passes.filter((x) => x.share === share);
        return `${pct(share, 0)}: ${rows.map((x) => `${x.gate} ${pct((x.passed ?? 0) / x.runs, 0)} (median ${min(x.medianPassMinutes)} min)`).join(', ')}`;
      }).join('; ') +
      '.',
  );
  out.push('');
  out.push('## Detection');
  out.push('');
  out.push(
    table(
      ['scenario', 'share', 'method', 'detected', 'median req', 'p90 req', 'median min', 'p90 min'],
      r.rows.map((x) => [
        x.label,
        pct(x.share, 0),
        METHOD_LABEL[x.method],
        pct(x.rate, 1),
        num(x.medianRequests),
        num(x.p90Requests),
        min(x.medianMinutes),
        min(x.p90Minutes),
      ]),
    ),
  );
  out.push('');
  out.push('## Sample ratio mismatch (candidate gets 0.9× its configured share)');
  out.push('');
  out.push(
    table(
      [
        'share',
        'flagged',
        'flagged before any metric verdict',
        'same, counting unverified passes',
        'median req',
        'median min',
      ],
      r.srm.map((x) => [
        pct(x.share, 0),
        pct(x.flagged / x.runs),
        pct(x.flaggedFirst / x.runs),
        pct(x.flaggedFirstRaw / x.runs),
        num(x.medianRequests),
        min(x.medianMinutes),
      ]),
    ),
  );
  out.push('');
  out.push('Kayenta-style, Flagger-style and the fixed-horizon test have no split check.');
  out.push('');
  out.push('## Fixed-horizon sample sizes (candidate requests; 80% power, one-sided alpha 0.05)');
  out.push('');
  out.push(
    table(
      ['gate', 'sized for', ...SHARES.map((s) => pct(s, 0))],
      GATES.map((g) => {
        const sizes = r.fixedHorizon.filter((x) => x.gate === g);
        return [
          g,
          sizes[0]?.design ?? '',
          ...SHARES.map((s) => num(sizes.find((x) => x.share === s)?.requests)),
        ];
      }),
    ),
  );
  out.push('');
  return out.join('\n');
}
