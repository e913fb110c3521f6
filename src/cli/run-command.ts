import { parseArgs } from 'node:util';
import { readTimeLimit } from '../config/duration-input.js';
import { didYouMeanHint } from '../config/messages.js';
import { InputError, VersionError } from '../core/errors.js';
import { validateVersion } from '../version/validate-version.js';
import { parseArgsProblem, usageError } from './usage.js';

const EVENTS = [
  'release',
  'reopen',
  'merge',
  'close',
  'tick',
  'rollback',
  'promote',
  'abort',
  'status',
] as const;
export type RunEvent = (typeof EVENTS)[number];

/** What the command line asks of `model-gate run`, checked. */
export interface RunOptions {
  config?: string;
  ledger?: string;
  base?: string;
  head?: string;
  pr: number;
  model?: string;
  toVersion?: string;
  mode: 'watch' | 'tick';
  maxWaitMs: number;
  dryRun: boolean;
}

const USAGE = `usage: model-gate run <${EVENTS.join('|')}> [options]
  the engine on one event, outside Actions, with a local ledger file instead of GitHub:
    release   a pull request from --head into --base is opened (analyse the changed models)
    reopen    it is reopened (options as release): a head whose analysis was withdrawn before
                it decided (an abort, a close, a Ctrl-C) is analysed again; a failed one is not
    merge     that pull request is merged (promote what passed)
    close     it is closed unmerged (withdraw the candidates)
    tick      a schedule tick (advance analyses by one pass, drift watches)
    rollback | promote | abort | status   the workflow_dispatch commands
  --config PATH       default .github/model-gate.yml at the repository's top
  --ledger PATH       default .model-gate/ledger.json at the repository's top
                        (tick and the commands need a repository only for these defaults)
  --base REF --head REF   release, reopen, merge, close: as for model-gate plan (head: the working tree)
  --pr N              the pull request's number in the ledger (default 1)
  --model NAME        limit to one model (commands: the model acted on)
  --to-version V      rollback only: the version to return to (default the previous stable;
                        less than 10m after a rollback, none further back: nothing changes)
  --mode watch|tick   release: watch (default) until decided or --max-wait; tick: one pass
                        (the tick event is always one pass)
  --max-wait DURATION default 30m
  --dry-run           plan and report, deploy nothing
Ctrl-C (SIGINT), SIGTERM, SIGHUP (the terminal closed) or its output closing (| head, less
  quit) during release, reopen, merge or close: the traffic change or metrics read under way
  finishes first (not the traffic step: at most the target's settle-timeout), then the candidates
  this run left live are withdrawn and recorded as stopped (the post step of a cancelled job does
  the same in Actions), a merge's promotion under way left pending (merge again finishes it);
  during tick: the traffic change or metrics read under way finishes, the rest waits for the next
  tick. A second signal stops at once (within 5 s, giving back the run's watch lease, stopping
  the platform command under way), naming the command that withdraws what may still be live; a
  third exits without waiting. During rollback, promote or abort, the first signal stops the run
  at once with the platform command under way: its change may have reached the platform
  unrecorded (status shows what serves; the same command again records it).
exit code: 0 when no release failed (status: always; a candidate still live is a
  warning), 1 when one did or the config, a ref or a version is refused, 2 on a usage error
  (an unknown event or option, a missing or malformed --pr, --mode or --max-wait), 130 (143, 129)
  when stopped by Ctrl-C (SIGTERM, SIGHUP), 141 by its output closing`;

/** `model-gate run`: the action's events on this machine, recorded in a ledger file. */
export async function runCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    return usageError('run', USAGE, parseArgsProblem(err));
  }
  if (args.values.help) {
    console.log(USAGE);
    return 0;
  }
  const event = args.positionals[0] as RunEvent | undefined;
  if (args.positionals.length !== 1 || !event || !EVENTS.includes(event)) {
    const got = args.positionals.length === 0 ? 'none' : args.positionals.map((p) => `"${p}"`).join(' ');
    const hint = args.positionals.length === 1 ? didYouMeanHint(args.positionals[0], EVENTS) : '';
    return usageError('run', USAGE, `expected one event of ${EVENTS.join(', ')}, got ${got}${hint}`);
  }
  const o = args.values;
  if (o.mode !== undefined && o.mode !== 'watch' && o.mode !== 'tick') {
    const hint = didYouMeanHint(o.mode, ['watch', 'tick']);
    return usageError('run', USAGE, `--mode must be watch or tick, got "${o.mode}"${hint}`);
  }
  if (event === 'tick' && o.mode === 'watch') {
    // Not silently one pass: the user asked for a watch the tick does not do.
    return usageError(
      'run',
      USAGE,
      '--mode watch does not apply to tick, which is always one pass: drop --mode, or run release to watch',
    );
  }
  const maxWait = readTimeLimit(o['max-wait'] ?? '30m');
  if ('problem' in maxWait) return usageError('run', USAGE, `--max-wait: ${maxWait.problem}`);
  const number = prNumber(o.pr);
  if (number === undefined) {
    return usageError('run', USAGE, `--pr: expected a pull request number, got "${o.pr}"`);
  }
  // Refused rather than ignored: `run promote --to-version v2` would promote another version.
  if (o['to-version'] !== undefined && event !== 'rollback') {
    return usageError(
      'run',
      USAGE,
      `--to-version applies only to rollback, not ${event}: drop it, or run rollback`,
    );
  }
  // Checked before anything is read or deployed, and named as the flag the user typed.
  const toVersion = o['to-version'] === undefined ? undefined : flagVersion(o['to-version']);
  const options: RunOptions = {
    config: o.config,
    ledger: o.ledger,
    base: o.base,
    head: o.head,
    pr: number,
    model: o.model,
    toVersion,
    mode: o.mode === 'tick' ? 'tick' : 'watch',
    maxWaitMs: maxWait.ms,
    dryRun: o['dry-run'] ?? false,
  };
  // Loaded only now: a usage error or --help must not wait for the engine.
  return (await import(/* webpackMode: "eager" */ './run-event.js')).runEvent(event, options, cwd);
}

/** The pull request number, default 1; undefined when the text is not one. */
function prNumber(text: string | undefined): number | undefined {
  // Digits only: Number() would also read "1e3", "0x10" and " 7 " as numbers nobody typed.
  const digits = text ?? '1';
  const n = Number(digits);
  return /^[0-9]+$/.test(digits) && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/**
 * `--to-version` as the version rules of the action's `to-version` input have it (exit 1 when
 * refused, as a version read from a file is), but named as the flag: `--to-version: "$(id)" is …`.
 */
function flagVersion(text: string): string {
  const where = { file: '--to-version', key: 'to-version' };
  try {
    return validateVersion(text, where);
  } catch (err) {
    if (!(err instanceof VersionError)) throw err;
    throw new InputError(err.message.replace(`${where.file}: key "${where.key}": `, `${where.file}: `));
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      ledger: { type: 'string' },
      base: { type: 'string' },
      head: { type: 'string' },
      pr: { type: 'string' },
      model: { type: 'string' },
      'to-version': { type: 'string' },
      mode: { type: 'string' },
      'max-wait': { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
