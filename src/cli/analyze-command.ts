import { parseArgs } from 'node:util';
import { parseArgsProblem, usageError } from './usage.js';

const USAGE = `usage: model-gate analyze <observations.jsonl> [--json] [--alpha A]
  replays a recorded observation log (docs/observations.md) through the judges and prints
  every gate's verdict over time; alpha (default 0.05) is split across the file's gates
  other than mann-whitney ones, which judge at their confidence
exit code: 0 when no look failed, 1 when one did or the file is invalid (one line per problem,
  file:line: field: message), 2 on a usage error`;

/**
 * `model-gate analyze <observations.jsonl> [--json] [--alpha A]`: replays every look of the log
 * through the judges the gates use and prints each gate's verdicts over time. Returns 0 when
 * no look failed, 1 when one did (or the file is invalid: the error names each bad line),
 * 2 on a usage error.
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
  const alpha = text === undefined ? 0.05 : Number(text);
  if (!(alpha > 0 && alpha < 1) || text?.trim() === '') {
    return usageError('analyze', USAGE, `--alpha needs a number in (0, 1), got "${text}"`);
  }
  const files = args.positionals;
  if (files.length !== 1) {
    const got = files.length === 0 ? 'none' : `${files.length}`;
    return usageError('analyze', USAGE, `expected one observation file, got ${got}`);
  }
  // Loaded only now: a usage error or --help must not wait for the judges.
  const { analyzeLog } = await import(/* webpackMode: "eager" */ './analyze-replay.js');
  return analyzeLog(files[0] as string, alpha, args.values.json ?? false);
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
