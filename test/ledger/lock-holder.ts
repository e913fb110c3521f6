// A process that takes a ledger's lock and keeps it until it is killed: what a run killed while it
// wrote the ledger leaves behind (test/ledger/file-lock.test.ts); or, with `exit`, that calls
// process.exit() while it holds it, as a signal handler does; or, with `busy`, that holds it for a
// second of work that does not yield (a signal waits for it), then goes on without it.
// Usage: lock-holder.ts LOCK [exit|busy]
import { setTimeout as pause } from 'node:timers/promises';
import { withFileLock } from '../../src/ledger/file-lock.js';

const mode = process.argv[3];
await withFileLock(process.argv[2] ?? '', async () => {
  process.stdout.write('locked\n');
  if (mode === 'exit') process.exit(3);
  if (mode === 'busy') {
    for (const until = Date.now() + 1_000; Date.now() < until; );
    return;
  }
  await pause(60_000);
});
await pause(60_000);
