import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.js';
import { planChanges } from '../release/plan.js';
import { plannedLines } from '../release/plan-text.js';
import { localComparison, WORKING_TREE } from '../version/local-comparison.js';
import { CLI_PATH_HINT, localConfigPath } from './local-config.js';
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
  const where = await localComparison(cwd, { base: args.base, head: args.head });
  const configPath = localConfigPath(cwd, where.root, args.config);
  const { config } = await loadConfig(configPath, process.env, { pathHint: CLI_PATH_HINT });
  const plan = await planChanges(config, where.reader, where.base.sha, where.head.sha ?? WORKING_TREE);
  if (args.json) {
    console.log(JSON.stringify({ base: where.base, head: where.head, ...plan }, null, 2));
    return 0;
  }
  const total = Object.keys(config.models).length;
  const head = where.head.sha ? `${where.head.ref} (${where.head.sha.slice(0, 7)})` : `the ${where.head.ref}`;
  const span = `the merge-base with ${where.base.ref} (${where.base.sha.slice(0, 7)}) to ${head}`;
  if (!plan.hasModels) {
    console.log(`nothing to release: no version changes from ${span} (${total} models in ${configPath})`);
    return 0;
  }
  console.log(`${plan.models.length} of ${total} models change from ${span}:`);
  for (const model of plan.models) for (const line of plannedLines(model)) console.log(line);
  return 0;
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
