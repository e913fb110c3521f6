// A process that takes a ledger's lock and keeps it until it is killed: what a run killed while it
// wrote the ledger leaves behind (test/ledger/file-lock.test.ts); or, with `exit`, that calls
// process.exit() while it holds it, as a signal handler does. Usage: lock-holder.ts LOCK [exit]
import { setTimeout as pause } from 'node:timers/promises';
import { withFileLock } from '../../src/ledger/file-lock.js';

await withFileLock(process.argv[2] ?? '', async () => {
  process.stdout.write('locked\n');
  if (process.argv[3] === 'exit') process.exit(3);
  await pause(60_000);
});
