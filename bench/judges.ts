/**
 * `npm run bench:judges`: the judges' benchmark of issue 4. Runs the seeded simulation on
 * both cores (worker threads), then writes bench/results.json and bench/results.md and prints
 * the tables. Options: --null-runs N (default 10000), --runs N (1000 per regression cell),
 * --workers N (default: 2, or the cores there are).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { aggregate, doneWhen } from './aggregate.js';
import { SCENARIOS, SHARES } from './model.js';
import { markdown } from './report.js';
import type { RunResult } from './run.js';
import type { Task, TaskResult } from './worker.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer`);
  return v;
}

const nullRuns = option('null-runs', 10_000);
const runs = option('runs', 1_000);
const workers = option('workers', Math.min(2, availableParallelism()));
const CHUNK = 250;

const tasks: Task[] = [];
for (const s of SCENARIOS) {
  SHARES.forEach((_, shareIndex) => {
    const n = s.kind === 'null' ? nullRuns : runs;
    for (let from = 0; from < n; from += CHUNK) {
      tasks.push({ id: tasks.length, scenario: s.id, shareIndex, from, to: Math.min(n, from + CHUNK) });
    }
  });
}

const started = performance.now();
const results = new Map<number, RunResult[]>();
let next = 0;
let finished = 0;

await new Promise<void>((resolve, reject) => {
  let live = workers;
  for (let w = 0; w < workers; w++) {
    const worker = new Worker(new URL('./worker.ts', import.meta.url));
    const feed = () => {
      const task = tasks[next++];
      worker.postMessage(task ?? null);
    };
    worker.on('message', (r: TaskResult) => {
      results.set(r.id, r.runs);
      finished++;
      if (finished % 10 === 0 || finished === tasks.length) {
        const s = Math.round((performance.now() - started) / 1000);
        process.stderr.write(`\r${finished}/${tasks.length} tasks, ${s} s `);
      }
      feed();
    });
    worker.on('error', reject);
    worker.on('exit', () => {
      if (--live === 0) resolve();
    });
    feed();
  }
});
process.stderr.write('\n');

const byCell = new Map<string, RunResult[]>();
for (const task of tasks) {
  const key = `${task.scenario}/${task.shareIndex}`;
  byCell.set(key, [...(byCell.get(key) ?? []), ...(results.get(task.id) ?? [])]);
}
const elapsedSeconds = (performance.now() - started) / 1000;
const figures = aggregate(byCell);
const all = { ...figures, doneWhen: doneWhen(figures, elapsedSeconds) };
const meta = { nullRuns, runs, workers, elapsedSeconds };
const md = markdown(all, meta);
const dir = new URL('./', import.meta.url);
writeFileSync(new URL('results.json', dir), `${JSON.stringify({ ...meta, ...all }, null, 1)}\n`);
writeFileSync(new URL('results.md', dir), md);
console.log(md);
