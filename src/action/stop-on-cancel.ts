import { constants } from 'node:os';
import * as core from '@actions/core';
import { stopAll } from '../targets/cli.js';

// A cancelled job (or one past its timeout-minutes): the runner sends the step SIGINT, SIGTERM
// 7.5 s later, and kills its process tree 2.5 s after that. Node's default ends the step at the
// first signal, and a platform command under way (kubectl, aws, az, gcloud, a command target's
// program: each in a process group of its own, out of reach of a signal to this process) ran on
// to its timeout: it could change traffic after the post step withdrew the candidate, while the
// record says it was withdrawn. So the step stops the commands it started, then ends of the same
// signal (exit status 130 or 143): the step fails, and the post step withdraws what the state names.

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Listens to SIGINT and SIGTERM while the main step runs; returns the means to stop listening. */
export function stopOnCancel(): () => void {
  let stopping = false;
  const off = () => {
    for (const s of SIGNALS) process.off(s, onSignal);
  };
  const end = (signal: NodeJS.Signals) => {
    off();
    // As Node would have: another listener (file-lock.ts, removing its locks) raises it again itself.
    process.kill(process.pid, signal);
    // Should a listener keep the process alive, it exits all the same.
    setTimeout(() => process.exit(128 + constants.signals[signal]), 1_000);
  };
  function onSignal(signal: NodeJS.Signals) {
    // A second signal while the first stops the commands: what is left is killed at once.
    if (stopping) {
      void stopAll(0).finally(() => end(signal));
      return;
    }
    stopping = true;
    void stopAll()
      .then((stopped) => {
        const commands = stopped > 0 ? '; the platform command under way was stopped' : '';
        // Not folded into the group of the phase it stopped in (a stray end is ignored).
        core.endGroup();
        core.error(
          `model-gate stopped on ${signal} (the job was cancelled or ran out of time)${commands}: the post step withdraws the candidate`,
        );
      })
      .finally(() => end(signal));
  }
  for (const s of SIGNALS) process.on(s, onSignal);
  return off;
}
