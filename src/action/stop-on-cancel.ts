import { constants } from 'node:os';
import * as core from '@actions/core';
import { formatDuration } from '../config/duration.js';
import { redact } from '../core/redact.js';
import { releaseLocksToEnd } from '../ledger/file-lock.js';
import { PROMOTION_GRACE_MS } from '../release/merged-ready.js';
import { stopCommandsOnSignal } from '../targets/stop-commands-on-signal.js';
import type { ActionEvent } from './event.js';
import type { Command } from './inputs.js';

// A cancelled job (or one past its timeout-minutes): the runner sends the step SIGINT, SIGTERM
// 7.5 s later, and kills its process tree 2.5 s after that. Node's default ends the step at the
// first signal, and a platform command under way (kubectl, aws, az, gcloud, a command target's
// program: each in a process group of its own, out of reach of a signal to this process) ran on
// to its timeout: it could change traffic after the post step withdrew the candidate, while the
// record says it was withdrawn. So the step stops the commands it started, then ends of the same
// signal (exit status 130 or 143): the step fails. What follows differs by event (the post step
// withdraws a PR job's candidate, nothing cleans up after a dispatch rollback), so the caller says it.

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Listens to SIGINT and SIGTERM while the main step runs; returns the means to stop listening.
 * `aftermath`: what the stop leaves and what to do, as the run stands when the signal comes.
 * `leave`: called with the step's error just before it ends, to write what the steps after it
 * (`if: always()`) read; only synchronous writes land, the process ends right after.
 */
export function stopOnCancel(
  aftermath: () => string,
  leave: (message: string) => void = () => {},
): () => void {
  return stopCommandsOnSignal(
    SIGNALS,
    (signal, stopped) => {
      const commands = stopped > 0 ? '; the platform command under way was stopped' : '';
      // Not folded into the group of the phase it stopped in (a stray end is ignored).
      core.endGroup();
      const message = `model-gate stopped on ${signal} (the job was cancelled or ran out of time)${commands}: ${aftermath()}`;
      core.error(message);
      try {
        leave(message);
      } catch (err) {
        // The step still ends of the signal: what it could not write is only said.
        core.warning(
          `model-gate could not write its outputs on ${signal}: ${redact((err as Error).message)}`,
        );
      }
    },
    (signal) => {
      // As Node would have: the locks of a ledger write under way removed first (file-lock.ts).
      releaseLocksToEnd();
      process.kill(process.pid, signal);
      // Should a listener keep the process alive, it exits all the same.
      setTimeout(() => process.exit(128 + constants.signals[signal]), 1_000);
    },
  );
}

/**
 * What a cancelled run leaves, and what finishes it: only a PR's release job saves a candidate for
 * the post step to withdraw (savingCandidates); a merge job saves none, and other events no state.
 */
export function cancelledCommand(command: Command, event: ActionEvent): string {
  if (command === 'plan' || command === 'status') return `command ${command} changes nothing`;
  if (event.kind === 'pull_request') {
    if (event.pr.action === 'closed' && event.pr.merged)
      return `promotion pending: a re-run of this job finishes it (so does a schedule tick, once the merge is on record and ${formatDuration(PROMOTION_GRACE_MS)} have passed)`;
    return 'the post step withdraws the candidate';
  }
  if (command === 'tick')
    return 'the releases it was driving stay as last recorded; the next schedule tick takes them up again';
  return `the ${command} may have reached the platform unrecorded: re-run this workflow with the same inputs to check and record it`;
}
