// Shared by the stand-in CLIs (kubectl, aws, az, gcloud): platform state kept in a JSON file
// between calls, a record of every call, and faults the tests ask for.
//
// The state file is $MODEL_GATE_STANDIN_STATE. Faults are `{ cli, op, kind, times, ... }`
// entries of `state.faults`; `times` counts down (-1: forever). Kinds: throttle, busy,
// timeout, silent-revert, drop-mirror, partial, fail (kubectl also: conflict). A `fail` fault
// with a `code` prints that platform error, code and `message`, as its CLI prints one.
//
// A call ends by throwing an Exit (fail, succeed, hang), so that one process can answer many
// calls (test/support/standin-server.ts); run as its program, the stand-in prints it and exits.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

/** How a call ended: its exit code and what it printed, or no answer at all (`hang`). */
export class Exit {
  constructor(code, stdout, stderr, hang = false) {
    Object.assign(this, { code, stdout, stderr, hang });
  }
}

const ended = (text) => (text === undefined || text.endsWith('\n') ? (text ?? '') : `${text}\n`);

// The call being answered: its environment, its standard input (read when first asked for, as
// a program), and what it wrote to stderr before it ended (`warn`).
const outside = () => ({ env: process.env, input: undefined, stderr: '' });
let call = outside();

/** The environment of the call being answered. */
export const callEnv = () => call.env;

export function statePath(env = call.env) {
  const path = env.MODEL_GATE_STANDIN_STATE;
  if (!path) throw new Exit(70, '', 'stand-in: MODEL_GATE_STANDIN_STATE is not set\n');
  return path;
}

export function loadState(env = call.env) {
  const state = JSON.parse(readFileSync(statePath(env), 'utf8'));
  state.faults ??= [];
  state.calls ??= [];
  return state;
}

export function saveState(state, env = call.env) {
  const path = statePath(env);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** The first fault for this CLI and operation (or `op: "*"`), counted down; undefined when none. */
export function takeFault(state, cli, op, kinds) {
  const i = state.faults.findIndex(
    (f) =>
      f.cli === cli && (f.op === op || f.op === '*') && (!kinds || kinds.includes(f.kind)) && f.times !== 0,
  );
  if (i < 0) return undefined;
  const fault = state.faults[i];
  if (fault.times > 0) fault.times -= 1;
  if (fault.times === 0) state.faults.splice(i, 1);
  return fault;
}

/** Ends the call with `text` on stderr and exit code `code`, after saving the state (calls and faults are kept). */
export function fail(state, text, code) {
  if (state) saveState(state);
  throw new Exit(code, '', call.stderr + ended(text));
}

export function succeed(state, text) {
  saveState(state);
  throw new Exit(0, ended(text), call.stderr);
}

/** A platform that never answers: the caller's timeout must end it. */
export function hang(state) {
  saveState(state);
  throw new Exit(undefined, '', call.stderr, true);
}

/** A line on stderr, the call going on. */
export function warn(text) {
  call.stderr += ended(text);
}

export function readStdin() {
  if (call.input === undefined) {
    try {
      call.input = readFileSync(0, 'utf8');
    } catch {
      call.input = '';
    }
  }
  return call.input;
}

/**
 * Answers one call, `answer(argv)` in the environment `env` with `input` on its standard input
 * (undefined: this process's): { code, stdout, stderr, hang }. A call that ends without fail,
 * succeed or hang exits 0, as its process would.
 */
export function answerCall(answer, argv, env, input) {
  call = { env, input, stderr: '' };
  try {
    answer(argv);
    return { code: 0, stdout: '', stderr: call.stderr, hang: false };
  } catch (err) {
    if (err instanceof Exit) return { ...err };
    throw err;
  } finally {
    call = outside();
  }
}

/** Run as the program `cli` (the file installStandins puts on PATH imports the stand-in): one call. */
export function runAsProgram(cli, answer) {
  if (basename(process.argv[1] ?? '') !== cli) return;
  const result = answerCall(answer, process.argv.slice(2), process.env, undefined);
  if (result.hang) setInterval(() => {}, 1 << 30);
  else {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.code;
  }
}

export const clone = (value) => JSON.parse(JSON.stringify(value));

/**
 * Splits argv into positionals and flags. `spec` maps each flag (with aliases) to
 * { takes: true|false, name }. Accepts `--flag value`, `--flag=value` and `-f value`.
 * Returns { positionals, flags } or { unknown: '--x' } or { missing: '--x' }.
 */
export function parseFlags(argv, spec) {
  const positionals = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq > 0 && arg.startsWith('--') ? arg.slice(0, eq) : arg;
    const def = spec[key];
    if (!def) return { unknown: key, arg };
    if (!def.takes) {
      if (eq > 0 && arg.startsWith('--')) return { unknown: key, arg };
      flags[def.name] = true;
      continue;
    }
    let value;
    if (eq > 0 && arg.startsWith('--')) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined) return { missing: key };
      i++;
    }
    if (def.repeat) {
      flags[def.name] ??= [];
      flags[def.name].push(value);
    } else flags[def.name] = value;
  }
  return { positionals, flags };
}
