import { parseArgs } from 'node:util';
import { TARGET_STRATEGIES } from '../targets/capabilities.js';
import { parseArgsProblem, usageError } from './usage.js';

const STRATEGIES: readonly string[] = TARGET_STRATEGIES;

const USAGE = `usage: model-gate demo [--strategy ${STRATEGIES.join('|')}]
  the embedded sandbox with live traffic: a good candidate that is promoted, then a faulty one
  that is rolled back, released with the strategy given (default canary)
exit code: 0 when both end as they must, 1 when one does not, 2 on a usage error, 130 (143)
  when stopped by Ctrl-C (SIGTERM), 141 by its output closing (| head): the story did not end`;

/**
 * `model-gate demo [--strategy NAME]`: the sandbox with live traffic, a good PR that is
 * promoted and a faulty one that is rolled back. Exits 0 only when both end as they must,
 * 2 on a usage error (one line).
 */
export async function demoCommand(argv: string[], out = process.stdout): Promise<number> {
  let values: { strategy?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: { strategy: { type: 'string', default: 'canary' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    return usageError('demo', USAGE, parseArgsProblem(err));
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const strategy = values.strategy ?? 'canary';
  if (!STRATEGIES.includes(strategy)) {
    return usageError('demo', USAGE, `--strategy: "${strategy}" is not one of ${STRATEGIES.join(', ')}`);
  }
  // Loaded only now: a usage error or --help must not wait for the sandbox and the engine.
  return (await import(/* webpackMode: "eager" */ './demo-story.js')).playDemo(strategy, out);
}
