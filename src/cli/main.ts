import { ModelGateError } from '../core/errors.js';
import { redact } from '../core/redact.js';

export type Command = (argv: string[]) => Promise<number>;

// Each command's module is loaded only when it runs: `--help` or a usage error must not wait
// for the config schema, the targets and the sandbox to load. The bundler's "eager" mode keeps
// every command in the one bundle file (no chunk files beside it); only its evaluation waits.
const COMMANDS: Record<string, Command> = {
  analyze: async (argv) =>
    (await import(/* webpackMode: "eager" */ './analyze-command.js')).analyzeCommand(argv),
  demo: async (argv) => (await import(/* webpackMode: "eager" */ './demo.js')).demoCommand(argv),
  plan: async (argv) => (await import(/* webpackMode: "eager" */ './plan-command.js')).planCommand(argv),
  run: async (argv) => (await import(/* webpackMode: "eager" */ './run-command.js')).runCommand(argv),
  sandbox: async (argv) =>
    (await import(/* webpackMode: "eager" */ './sandbox-command.js')).sandboxCommand(argv),
  validate: async (argv) =>
    (await import(/* webpackMode: "eager" */ './validate-command.js')).validateCommand(argv),
};

const USAGE = `usage: model-gate <command>
  demo [--strategy canary|linear|blue-green|shadow|ab|rolling]
                        a candidate that is promoted and one that is rolled back, on the embedded sandbox
  sandbox [--port N] [--traffic RPS] [--feedback-delay MS] [--conversion-rate R] [--shift X [--shift-after DURATION]]
          [--models-dir DIR --model NAME --stable VERSION]
                        the embedded serving platform in the foreground (your own models with --models-dir)
  validate [config]     check a configuration file (default .github/model-gate.yml)
  plan [--config PATH] [--base REF] [--head REF] [--json]
                        the models a PR would release (from → to, strategy, phases) and their
                        Actions matrix; deploys nothing
  run <release|reopen|merge|close|tick|rollback|promote|abort|status> [options]
                        the action's events on this machine, with a local ledger file (run --help)
  analyze <observations.jsonl> [--json] [--alpha A]
                        replay recorded observations through the judges, verdict by look
a command's --help gives its options; a usage error (unknown command or option, malformed
option value) exits 2 with one line. An internal error (a bug) prints one line and exits 70
(never 1, a failed release or gate); MODEL_GATE_DEBUG=1 adds its stack trace`;

/** Set to 1 (any value but 0 or empty) to see an internal error's stack, for a bug report. */
export const DEBUG_ENV = 'MODEL_GATE_DEBUG';

/** `commands`: the commands by name (tests give one that fails as a bug would). */
export async function main(argv: string[], commands: Record<string, Command> = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(USAGE);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    // A usage error: one line, exit code 2, like every command's.
    console.error(
      `model-gate: unknown command "${name}" (commands: ${Object.keys(commands).join(', ')}; model-gate --help)`,
    );
    return 2;
  }
  try {
    return await command(rest);
  } catch (err) {
    if (err instanceof ModelGateError) {
      // One problem a line, each saying which command it came from.
      for (const line of err.message.split('\n')) console.error(`model-gate ${name}: ${line}`);
      return 1;
    }
    return await internalError(name, err);
  }
}

/** A bug's exit code: EX_SOFTWARE of sysexits.h, clear of 1, which a script reads as a failed release or gate. */
export const INTERNAL_EXIT = 70;

/**
 * Anything else is a bug in model-gate, not the user's input: one line to report, worded as the
 * engine words a defect (reportIt), naming the command (and `where`, e.g. ` on FILE`), exit 70.
 * The stack only on request: thrown from the bundle, Node would print minified source, not a
 * clue. The wording's module loads only then, as a command's does.
 */
export async function internalError(name: string, err: unknown, where = ''): Promise<number> {
  const { reportIt, stoppedOn } = await import(/* webpackMode: "eager" */ '../release/defects.js');
  const text = err instanceof Error ? err.message || err.name : String(err);
  // Secrets go before the lines are joined: a secret may span lines (a PEM key).
  const oneLine = redact(text)
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  const stopped = stoppedOn(new Error(oneLine), `in "model-gate ${name}"${where}`);
  console.error(`${reportIt(stopped)} with the command you ran`);
  const debug = process.env[DEBUG_ENV];
  if (debug && debug !== '0' && err instanceof Error && err.stack) console.error(redact(err.stack));
  return INTERNAL_EXIT;
}
