/**
 * Usage errors: a command line the CLI cannot make sense of (an unknown option, a missing or
 * malformed option value, an unknown event or strategy) before anything is read or deployed.
 * Every command reports one as a single line, `model-gate <command>: <problem> (usage: …)`,
 * and exits 2; exit 1 is left to a failed release and to a config, ref or version refused.
 */
export const USAGE_EXIT = 2;

/** Prints the usage error as one line ending with the command's synopsis, returns exit code 2. */
export function usageError(command: string, usage: string, problem: string): number {
  // The synopsis may wrap onto continuation lines of options (`   [--shift X …]`): keep them all.
  const lines = usage.split('\n').map((line) => line.trim());
  let end = 1;
  while (lines[end]?.startsWith('[')) end++;
  const synopsis = lines.slice(0, end).join(' ');
  console.error(`model-gate ${command}: ${oneLine(problem)}${synopsis ? ` (${synopsis})` : ''}`);
  return USAGE_EXIT;
}

/** A `node:util` parseArgs error as a short problem: `unknown option --bogus`, on one line. */
export function parseArgsProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /'([^']+)'/.exec(e.message)?.[1];
    if (option) return `unknown option ${option}`;
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /'([^']+)'/.exec(e.message)?.[1];
    if (arg !== undefined) return `unexpected argument "${arg}"`;
  }
  const text = oneLine(e.message ?? String(err));
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ').trim();
