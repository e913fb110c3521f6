import type { RunResult } from '../release/pull-request.js';
import { skippedSentence } from '../report/decision.js';

/**
 * The run's warnings as the terminal's log prints them, remembered: the engine both warns a
 * model's note (an annotation in the Action) and puts it in the report's lines, which in a
 * terminal come right below the log. `unsaid` is the result without the notes the log already
 * said word for word, so that each is said once.
 */
export function warnedOnce() {
  const warned = new Set<string>();
  return {
    warned: (message: string) => {
      warned.add(message);
    },
    unsaid: (result: RunResult): RunResult => ({
      ...result,
      skipped: result.skipped.filter((s) => !warned.has(skippedSentence(s))),
    }),
  };
}
