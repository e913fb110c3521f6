import { stopAll } from './cli.js';

// A process ended by a stop signal while a platform command runs (kubectl, aws, a command target's
// program: each in a process group of its own, out of reach of the terminal's Ctrl-C or the runner's
// signal to the step) would leave that command running to its timeout: its traffic change would
// land after the process ended, with nothing on record. So the process stops those commands first.

/**
 * Listens to `signals`; returns the means to stop listening. The first stops the platform commands
 * under way (stopAll), then `say`s what the stop leaves (`stopped`: how many commands it stopped),
 * then `end`s the process; a second one while they stop kills what is left at once and ends it.
 * It stops listening before `end`.
 */
export function stopCommandsOnSignal(
  signals: readonly NodeJS.Signals[],
  say: (signal: NodeJS.Signals, stopped: number) => void,
  end: (signal: NodeJS.Signals) => void,
): () => void {
  let stopping = false;
  const off = () => {
    for (const s of signals) process.off(s, onSignal);
  };
  const ended = (signal: NodeJS.Signals) => {
    off();
    end(signal);
  };
  function onSignal(signal: NodeJS.Signals) {
    if (stopping) {
      void stopAll(0).finally(() => ended(signal));
      return;
    }
    stopping = true;
    void stopAll()
      .then((stopped) => say(signal, stopped))
      .finally(() => ended(signal));
  }
  for (const s of signals) process.on(s, onSignal);
  return off;
}
