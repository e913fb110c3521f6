import { parseArgs } from 'node:util';
import { InputError } from '../core/errors.js';
import { ReportOutputError, WorkingFilesError } from './analyze-errors.js';
import { INTERNAL_EXIT, internalError } from './main.js';
import { parseArgsProblem, USAGE_EXIT, usageError } from './usage.js';

/** The exit codes of `model-gate analyze`, one per outcome a script may branch on. */
export const ANALYZE_EXIT = {
  passed: 0,
  failed: 1,
  usage: USAGE_EXIT,
  invalid: 3,
  undecided: 4,
  /** TMPDIR cannot hold its working files: EX_CANTCREAT of sysexits.h, the environment's fault. */
  workingFiles: 73,
  /** The report could not be written to stdout (not `| head` going away): EX_IOERR of sysexits.h. */
  output: 74,
  /** A bug in model-gate, not a verdict (as for every command). */
  internal: INTERNAL_EXIT,
} as const;

const USAGE = `usage: model-gate analyze <observations.jsonl> [--json] [--alpha A]
  replays a recorded observation log (docs/observations.md) through the judges and prints
  every gate's verdict over time; alpha (default 0.05) is split across the file's gates
  other than mann-whitney ones, which judge at their confidence; a line's own alpha (a
  release writes its split on every line) wins
exit code: 0 when every gate passed, 1 when a gate failed, 2 on a usage error, 3 when the file
  is unreadable or invalid (one line per problem, file:line: field: message), 4 when no gate
  failed but one is still undecided (waiting or inconclusive at its last look), 70 on an internal
  error (a bug in model-gate: one line naming the file, to report), 73 when TMPDIR cannot hold its
  working files (a piped log's copy, a long report's looks), 74 when the report cannot be written
  to stdout (a full disk; a reader that goes away, | head, is not an error)`;

/**
 * `model-gate analyze <observations.jsonl> [--json] [--alpha A]`: replays every look of the log
 * through the judges the gates use and prints each gate's verdicts over time. Returns an
 * ANALYZE_EXIT code: a failed gate, all passed, one undecided, a bad file or a usage error.
 */
export async function analyzeCommand(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    return usageError('analyze', USAGE, parseArgsProblem(err));
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const text = args.values.alpha;
  // Undefined when not given (0.05): one given that no line is judged at is warned of, as a
  // release writes its own split on every line.
  const alpha = text === undefined ? undefined : Number(text);
  if (alpha !== undefined && (!(alpha > 0 && alpha < 1) || text?.trim() === '')) {
    return usageError('analyze', USAGE, `--alpha needs a number in (0, 1), got "${text}"`);
  }
  const files = args.positionals;
  if (files.length !== 1) {
    const got = files.length === 0 ? 'none' : `${files.length}`;
    return usageError('analyze', USAGE, `expected one observation file, got ${got}`);
  }
  const file = files[0] as string;
  try {
    // Loaded only now: a usage error or --help must not wait for the judges.
    const { analyzeLog } = await import(/* webpackMode: "eager" */ './analyze-replay.js');
    return ANALYZE_EXIT[await analyzeLog(file, alpha, args.values.json ?? false)];
  } catch (err) {
    const exit = exitOf(err);
    if (exit === undefined) return await internalError('analyze', err, ` on ${file}`);
    // One problem a line as the CLI prints any error, each class with its own exit code.
    for (const line of (err as Error).message.split('\n')) console.error(`model-gate analyze: ${line}`);
    return exit;
  }
}

/** The exit code of an error that is not a bug: a bad file, TMPDIR or stdout unusable. */
function exitOf(err: unknown): number | undefined {
  if (err instanceof InputError) return ANALYZE_EXIT.invalid;
  if (err instanceof WorkingFilesError) return ANALYZE_EXIT.workingFiles;
  if (err instanceof ReportOutputError) return ANALYZE_EXIT.output;
  return undefined;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      alpha: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
