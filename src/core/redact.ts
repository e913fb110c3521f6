// The runner masks registered secrets in the log only: a PR comment, a commit status and a
// deployment status go to GitHub's API as they are. A failing command's stderr may echo a
// secret (`set -x`, `curl -v`), and its excerpt ends up in those. So every message model-gate
// makes (ModelGateError) has the secret values the action registers here replaced with `***`.

const secrets = new Set<string>();
/** Every form of every secret, longest first (a secret containing another is replaced whole); none: undefined. */
let pattern: RegExp | undefined;

/** A line of a multi-line secret shorter than this (`{`, `},` of a JSON key file) is structure, not secret. */
const MIN_LINE = 6;

/** ASCII punctuation: what Markdown lets a backslash escape (`ghp_x` reads `ghp\_x` in a comment). */
const PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * A value no message may carry, as written and as messages may show it: JSON-escaped,
 * percent-encoded (a URL's path or query), line by line (a stderr excerpt joins lines with ` | `),
 * and with a backslash before any of its punctuation (Markdown-escaped by model-gate's report or by
 * whoever wrote a note it quotes).
 */
export function addSecret(value: string): void {
  // Blank text is everywhere: hiding it would hide nothing and garble every message.
  if (value.trim() === '') return;
  const lines = value.split(/\r?\n/).map((line) => line.trim());
  // Trimmed too: a secret read from a file often ends with a newline that its echo does not show.
  const forms = [value, value.trim(), JSON.stringify(value).slice(1, -1), ...percentEncoded(value)];
  if (lines.length > 1) forms.push(...lines.filter((line) => line.length >= MIN_LINE));
  for (const form of forms) secrets.add(form);
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  pattern = new RegExp(ordered.map(escapable).join('|'), 'g');
}

/** `value` as encodeURIComponent and encodeURI write it, where either differs from it. */
function percentEncoded(value: string): string[] {
  try {
    return [encodeURIComponent(value), encodeURI(value)].filter((form) => form !== value);
  } catch {
    return []; // a lone surrogate: no URL carries it encoded
  }
}

/**
 * A regex source matching `form` with any backslashes before each punctuation character (escaped
 * once, or twice: a note escaped by its writer, then by the report), which is itself escaped
 * (`\_`: an identity escape): every character a regex treats specially is punctuation. An `@` may
 * be followed by the zero-width space the report adds so that it mentions no one.
 */
const escapable = (form: string): string =>
  [...form].map((c) => (PUNCTUATION.test(c) ? `\\\\*\\${c}${c === '@' ? '\u200b?' : ''}` : c)).join('');

/** `text` with every registered secret replaced by `***`, in any of the forms addSecret names. */
export function redact(text: string): string {
  return pattern === undefined ? text : text.replace(pattern, '***');
}

/** `value` with every string in it redacted, keys and structure unchanged. */
export function redactStrings<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map(redactStrings) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)])) as T;
}

/** Keys of free text (a gate's note, a release's reason) in stored state and payloads. */
const FREE_TEXT = new Set(['note', 'reason', 'why', 'summary']);

/**
 * `value` with the free text in it redacted: what a gate or a platform said may quote a secret.
 * Versions, SHAs, model names and numbers are data read back later, never touched: a secret that
 * is also a version's text (`2024`) would turn `2024.1` into `***.1` and the state unreadable
 * (values under 4 characters are never registered: see MIN_SECRET_LENGTH).
 */
export function redactNotes<T>(value: T, key?: string): T {
  // A target's identity holds no secret (targets/identity.ts); one recorded before it was masked does.
  if (key === 'identity') return redactStrings(value);
  if (typeof value === 'string')
    return (key !== undefined && FREE_TEXT.has(key) ? redact(value) : value) as T;
  if (Array.isArray(value)) return value.map((v) => redactNotes(v, key)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactNotes(v, k)])) as T;
}
