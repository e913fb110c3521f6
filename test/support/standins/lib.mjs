// Shared by the stand-in CLIs (kubectl, aws, az, gcloud): platform state kept in a JSON file
// between calls, a record of every call, and faults the tests ask for.
//
// The state file is $MODEL_GATE_STANDIN_STATE. Faults are `{ cli, op, kind, times, ... }`
// entries of `state.faults`; `times` counts down (-1: forever). Kinds: throttle, busy,
// timeout, silent-revert, drop-mirror, partial, fail (kubectl also: conflict).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export function statePath(env = process.env) {
  const path = env.MODEL_GATE_STANDIN_STATE;
  if (!path) {
    process.stderr.write('stand-in: MODEL_GATE_STANDIN_STATE is not set\n');
    process.exit(70);
  }
  return path;
}

export function loadState(env = process.env) {
  const state = JSON.parse(readFileSync(statePath(env), 'utf8'));
  state.faults ??= [];
  state.calls ??= [];
  return state;
}

export function saveState(state, env = process.env) {
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

/** Prints to stderr and exits, after saving the state (calls and faults are kept). */
export function fail(state, text, code) {
  if (state) saveState(state);
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  process.exit(code);
}

export function succeed(state, text) {
  saveState(state);
  if (text !== undefined) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  process.exit(0);
}

/** A platform that never answers: the caller's timeout must end it. */
export function hang(state) {
  saveState(state);
  setInterval(() => {}, 1 << 30);
}

export function readStdin() {
  try {
    return readFileSync(0, 'utf8');
  } catch {
    return '';
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
