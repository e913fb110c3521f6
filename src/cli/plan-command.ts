import { parseArgs } from 'node:util';
import { parseArgsProblem, usageError } from './usage.js';

const USAGE = `usage: model-gate plan [--config PATH] [--base REF] [--head REF] [--json]
  what a pull request from head into base would release, deploying nothing: the models whose
  declared version changes, from → to, strategy, target and phases. head defaults to the
  working tree (uncommitted edits included); base is the merge-base with --base (default
  origin/HEAD, origin/main, main, origin/master or master, the first that exists). --config
  defaults to .github/model-gate.yml at the repository's top. --json adds the Actions matrix.
exit code: 0 when the plan was made, 1 when the config, a ref or a version is refused, 2 on a
  usage error (an unknown option or a missing option value)`;

/**
 * `model-gate plan`: 0 when the plan was made (whether or not a model changes), 1 on bad
 * input (config, versions, refs: one line each, through the CLI's error handler), 2 on a
 * usage error (one line).
 */
export async function planCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    return usageError('plan', USAGE, parseArgsProblem(err));
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  // Loaded only now: a usage error or --help must not wait for the config schema.
  return (await import(/* webpackMode: "eager" */ './plan-print.js')).printPlan(args, cwd);
}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      base: { type: 'string' },
      head: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return values;
}
