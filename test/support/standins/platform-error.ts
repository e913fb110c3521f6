import type { StandinCli, StandinFault } from '../standin-cli.js';

/**
 * A `fail` fault that prints the platform's own error, `code` and `message`, laid out as its CLI
 * prints one (aws `An error occurred (Code) when calling ...`, az `(Code) message`, gcloud
 * `CODE: message`, kubectl `Error from server (Reason): message`), on `times` calls of `op` (-1: all).
 */
export function platformError(
  cli: StandinCli,
  op: string,
  code: string,
  message: string,
  times = -1,
): StandinFault {
  return { cli, op, kind: 'fail', times, code, message };
}
