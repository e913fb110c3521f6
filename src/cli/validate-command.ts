import { usageError } from './usage.js';

const USAGE = `usage: model-gate validate [config]
  checks a configuration file as the action would read it (default .github/model-gate.yml at
  the repository's top, or in the current folder outside a git repository)
exit code: 0 when it is valid, 1 when it is missing or invalid (one line per problem), 2 on a
  usage error (an option, or more than one file); warnings (a gate that reads the whole service,
  a version or evaluation file that is not in the working tree) go to stderr and leave it 0`;

/**
 * `model-gate validate [config]`: loads the config as the action would (with this process's
 * environment for `${NAME}`), prints `✓ <file>: N models (a, b)` and returns 0, or prints
 * each problem on its own line to stderr and returns 1; 2 on a usage error. Warnings go to stderr
 * and leave it valid.
 */
export async function validateCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const options = argv.filter((arg) => arg.startsWith('-'));
  const paths = argv.filter((arg) => !options.includes(arg));
  if (options.length > 0) return usageError('validate', USAGE, `unknown option ${options[0]}`);
  if (paths.length > 1) return usageError('validate', USAGE, `unexpected argument "${paths[1]}"`);
  // Loaded only now: a usage error or --help must not wait for the config schema.
  return (await import(/* webpackMode: "eager" */ './validate-config.js')).validateConfig(paths[0], cwd);
}
