import { configWarnings } from '../config/config-warnings.js';
import { redact, redactStrings } from '../core/redact.js';
import { counted } from '../core/text.js';
import { planChanges } from '../release/plan.js';
import { plannedLines } from '../release/plan-text.js';
import { localComparison, WORKING_TREE } from '../version/local-comparison.js';
import { sourceFileWarnings } from '../version/missing-source.js';
import { configPathHint, loadLocalConfig, localConfigPath } from './local-config.js';

/** What `model-gate plan` was asked, its command line checked. */
export interface PlanOptions {
  config?: string;
  base?: string;
  head?: string;
  json?: boolean;
}

/**
 * The work of `model-gate plan` once its command line is valid: the plan, printed. Its own
 * module, so that a usage error or `--help` returns before the config schema loads.
 */
export async function printPlan(args: PlanOptions, cwd: string): Promise<number> {
  const where = await localComparison(cwd, { base: args.base, head: args.head });
  const configPath = localConfigPath(cwd, where.root, args.config);
  const { config } = await loadLocalConfig(configPath, { pathHint: configPathHint(args.config) });
  const headSha = where.head.sha ?? WORKING_TREE;
  const plan = await planChanges(config, where.reader, where.base.sha, headSha);
  // Not silent: a model without its version file (a typo in the path, deleted) shows nothing below.
  for (const w of await sourceFileWarnings(config, where.reader, where.base.sha, headSha))
    console.error(`warning: ${configPath}: ${w}`);
  // On stderr, so that --json stays one JSON document.
  const planned = plan.models.map((m) => m.model);
  for (const w of configWarnings(config, planned)) console.error(`warning: ${configPath}: ${w}`);
  if (args.json) {
    // A plan names targets and their URLs, which may hold a secret-named variable's value.
    console.log(JSON.stringify(redactStrings({ base: where.base, head: where.head, ...plan }), null, 2));
    return 0;
  }
  const total = Object.keys(config.models).length;
  const head = where.head.sha ? `${where.head.ref} (${where.head.sha.slice(0, 7)})` : `the ${where.head.ref}`;
  const span = `the merge-base with ${where.base.ref} (${where.base.sha.slice(0, 7)}) to ${head}`;
  if (!plan.hasModels) {
    console.log(
      `nothing to release: no version changes from ${span} (${counted(total, 'model')} in ${configPath})`,
    );
    return 0;
  }
  console.log(
    `${plan.models.length} of ${counted(total, 'model')} ${plan.models.length === 1 ? 'changes' : 'change'} from ${span}:`,
  );
  for (const model of plan.models) for (const line of plannedLines(model)) console.log(redact(line));
  return 0;
}
