import { dirname, resolve } from 'node:path';
import { configWarnings } from '../config/config-warnings.js';
import { DEFAULT_CONFIG_PATH } from '../config/load.js';
import { formatPath, quote } from '../config/messages.js';
import type { Config } from '../config/types.js';
import { ConfigError, ModelGateError } from '../core/errors.js';
import { counted } from '../core/text.js';
import { workingTreeReader } from '../version/changed-models.js';
import { repositoryTop } from '../version/git.js';
import { loadLocalConfig, localConfigPath } from './local-config.js';

/** What a missing file's error says to do: the path is this command's argument, maybe given already. */
const pathHint = (given: string | undefined) =>
  given === undefined
    ? 'pass its path: model-gate validate PATH'
    : 'check the path given to model-gate validate';

/**
 * The work of `model-gate validate` once its command line is valid: `given`, or the default
 * file, loaded as the action would. Its own module, so that a usage error or `--help` returns
 * before the config schema loads.
 */
export async function validateConfig(given: string | undefined, cwd: string): Promise<number> {
  // The same file plan and run read by default, from any folder of the repository.
  // Outside a repository, or without git, it reads from the current folder.
  const top = given === undefined ? await repositoryTop(cwd).catch(() => undefined) : undefined;
  const file = given ?? (top === undefined ? DEFAULT_CONFIG_PATH : localConfigPath(cwd, top));
  try {
    const { config } = await loadLocalConfig(file, { pathHint: pathHint(given) });
    const names = Object.keys(config.models);
    console.log(`✓ ${file}: ${counted(names.length, 'model')} (${names.join(', ')})`);
    // Valid all the same: a warning never changes the exit code.
    for (const warning of configWarnings(config)) console.error(`warning: ${file}: ${warning}`);
    // Version files are read from the top of the config's repository, as the action reads them;
    // a config outside any repository has none to check.
    const root =
      given === undefined ? top : await repositoryTop(resolve(cwd, dirname(given))).catch(() => undefined);
    if (root !== undefined) {
      for (const warning of await missingFiles(config, root)) console.error(`warning: ${file}: ${warning}`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) console.error(problem);
    return 1;
  }
}

/**
 * Warnings for the files the config names that are not in the working tree at `root` (the
 * repository's top, where plan and the action read them). A typo in `source.file` is a valid
 * config, but then no pull request changes that model's version, and nothing says why; one in an
 * offline gate's `file` fails every release, but only once a PR runs. An evaluation a PR (or a CI
 * job pushing to it) commits is legitimately absent here, so that one is worded as a question.
 */
async function missingFiles(config: Config, root: string): Promise<string[]> {
  const disk = workingTreeReader(root);
  const absent = (file: string) =>
    disk.read('', file).then(
      (text) => text === undefined,
      (err: unknown) => {
        // There but unreadable (a folder, a link leading out): plan refuses it by name already.
        if (err instanceof ModelGateError) return false;
        throw err;
      },
    );
  const warnings: string[] = [];
  for (const model of Object.values(config.models)) {
    const field = formatPath(['models', model.name, 'source', 'file']);
    if (await absent(model.source.file))
      warnings.push(
        `${field}: ${quote(model.source.file)} is not in the working tree: check the path; a pull request that does not add it releases nothing for ${model.name}`,
      );
    for (const [i, gate] of model.gates.entries()) {
      if (gate.kind !== 'offline' || !(await absent(gate.file))) continue;
      warnings.push(
        `${formatPath(['models', model.name, 'gates', i, 'file'])}: ${quote(gate.file)} is not in the working tree: check the path; unless each pull request (or its CI) commits the evaluation there, gate ${gate.name} fails every release of ${model.name}`,
      );
    }
  }
  return warnings;
}
