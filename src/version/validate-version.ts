import { quote } from '../config/messages.js';
import { VersionError } from '../core/errors.js';

/** What a version may look like: safe as an argument, a label, a file name and in a URL. */
export const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const RULE = 'letters, digits, . _ + - only, at most 128 characters';
const ALLOWED_BUT_FIRST = /^[A-Za-z0-9._+-]{1,128}$/;

export interface VersionLocation {
  file: string;
  key: string;
}

/**
 * The version as a string, or a `VersionError` naming where it came from. A finite number
 * is accepted as its decimal text. Nothing that fails here ever reaches a target or a log
 * unescaped: the offending value is shown truncated, with control characters escaped.
 */
export function validateVersion(value: unknown, where: VersionLocation): string {
  const problem = versionProblem(value);
  if (problem !== undefined) throw new VersionError(`${where.file}: key "${where.key}": ${problem}`);
  return typeof value === 'number' ? String(value) : (value as string);
}

/** Why `value` is not a valid version (`"$(id)" is not a valid version (...)`), or undefined. */
export function versionProblem(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  if (typeof text === 'string' && VERSION_PATTERN.test(text)) return undefined;
  // Only the first character is wrong (`-rf`, `.hidden`): say that rather than the general rule.
  const rule =
    typeof text === 'string' && ALLOWED_BUT_FIRST.test(text) ? 'it must start with a letter or digit' : RULE;
  return `${show(value)} is not a valid version (${rule})`;
}

function show(value: unknown): string {
  // YAML's !!binary: an object to JavaScript, but no mapping to whoever wrote the file.
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'string') return value === '' ? 'an empty string' : quote(value);
  if (value === undefined || value === null) return 'an empty value';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `a ${typeof value}`;
}
