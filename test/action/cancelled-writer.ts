// A main step cancelled while it writes the ledger, the write ending just as the step, its
// platform commands stopped, raises the signal again to end of it: the moment a cancelled job's
// step used to lose the signal (the lock's listener gone with the lock) and linger 1 s more, to
// end with a status instead of the signal. Usage: cancelled-writer.ts LOCK
import { setTimeout as pause, setImmediate as turn } from 'node:timers/promises';
import { stopOnCancel } from '../../src/action/stop-on-cancel.js';
import { withFileLock } from '../../src/ledger/file-lock.js';

stopOnCancel(() => 'the post step withdraws the candidate');
await withFileLock(process.argv[2] ?? '', async () => {
  process.stdout.write('locked\n');
  // The step stops listening just before it raises the signal again: the write ends there.
  while (process.listenerCount('SIGTERM') > 1) await turn();
});
// The run would go on to its next phase.
await pause(30_000);
