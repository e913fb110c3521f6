/** A benchmark worker: runs the tasks it is sent and posts each task's results back. */
import { parentPort } from 'node:worker_threads';
import { SCENARIOS } from './model.js';
import { type RunResult, runOne } from './run.js';

export interface Task {
  id: number;
  scenario: string;
  shareIndex: number;
  from: number;
  to: number;
}

export interface TaskResult {
  id: number;
  runs: RunResult[];
}

export async function runTask(task: Task): Promise<TaskResult> {
  const scenario = SCENARIOS.find((s) => s.id === task.scenario);
  if (!scenario) throw new Error(`unknown scenario ${task.scenario}`);
  const runs: RunResult[] = [];
  for (let r = task.from; r < task.to; r++) runs.push(await runOne(scenario, task.shareIndex, r));
  return { id: task.id, runs };
}

parentPort?.on('message', async (task: Task | null) => {
  if (task === null) {
    parentPort?.close();
    return;
  }
  parentPort?.postMessage(await runTask(task));
});
