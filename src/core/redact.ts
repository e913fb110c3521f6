// The runner masks registered secrets in the log only: a PR comment, a commit status and a
// deployment status go to GitHub's API as they are. A failing command's stderr may echo a
// secret (`set -x`, `curl -v`), and its excerpt ends up in those. So every message model-gate
// makes (ModelGateError) has the secret values the action registers here replaced with `***`.

const secrets = new Set<string>();
/** The forms up to TOLERANT_MAX long, in any escaping or encoding (see tolerant); none: undefined. */
let pattern: RegExp | undefined;
/** Longer forms (key files), or every form once the pattern failed: matched as written, longest first. */
let plain: string[] = [];

/** A line of a multi-line secret shorter than this (`{`, `},` of a JSON key file) is structure, not secret. */
const MIN_LINE = 6;

/**
 * Forms longer than this are keys and files, quoted whole or line by line (each line is a form):
 * matched as written, as a pattern of their length would not compile (V8 overflows its stack).
 */
const TOLERANT_MAX = 512;

/** ASCII punctuation: what Markdown lets a backslash escape (`ghp_x` reads `ghp\_x` in a comment). */
const PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * A value no message may carry, as written and as messages may show it: JSON-escaped,
 * percent-encoded (a URL's path or query, by any encoder), line by line (a stderr excerpt joins
 * lines with ` | `), and with backslashes before its punctuation (Markdown-escaped by
 * model-gate's report and by whoever wrote a note it quotes).
 */
export function addSecret(value: string): void {
  // Blank text is everywhere: hiding it would hide nothing and garble every message.
  if (value.trim() === '') return;
  const lines = value.split(/\r?\n/).map((line) => line.trim());
  // Trimmed too: a secret read from a file often ends with a newline that its echo does not show.
  const forms = [value, value.trim(), JSON.stringify(value).slice(1, -1)];
  if (lines.length > 1) forms.push(...lines.filter((line) => line.length >= MIN_LINE));
  for (const form of forms) secrets.add(form);
  const ordered = longestFirst();
  const short = ordered.filter((form) => form.length <= TOLERANT_MAX);
  plain = ordered.filter((form) => form.length > TOLERANT_MAX).flatMap(asWritten);
  try {
    // The lookahead rules out most positions at once: V8 tries every form at each position.
    const starts = new Set(short.flatMap((form) => firstChars([...form][0] as string)));
    const firsts = [...starts].map(unicodeEscaped).join('');
    pattern =
      short.length === 0 ? undefined : new RegExp(`(?=[${firsts}])(?:${short.map(tolerant).join('|')})`, 'g');
  } catch {
    fallBack(); // the error's message would quote the pattern: the secrets
  }
}

/** Longest first, so that a secret containing another is replaced whole. */
const longestFirst = (): string[] => [...secrets].sort((a, b) => b.length - a.length);

/** Every form matched as written until the next addSecret: the pattern failed (V8 compiles it on first use). */
function fallBack(): void {
  pattern = undefined;
  plain = longestFirst().flatMap(asWritten);
}

/** `form`, and as encodeURIComponent and encodeURI write it where either differs. */
function asWritten(form: string): string[] {
  try {
    return [...new Set([form, encodeURIComponent(form), encodeURI(form)])];
  } catch {
    return [form]; // a lone surrogate: no URL carries it encoded
  }
}

/**
 * A regex source matching `form` with each character as written or percent-encoded (either hex
 * case), a space also as `+` (a query string), and backslashes before punctuation (`_` escaped
 * by a note's writer reads `\_`, then by the report `\\\_`). A form that starts with them does
 * not start inside a run of backslashes: from each of its positions, the run would be read to its
 * end and back, and a message of many backslashes would take time quadratic in their number.
 */
function tolerant(form: string): string {
  const chars = [...form];
  let source = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    const backslashes = i === 0 ? '(?<!\\\\)\\\\' : '\\\\';
    if (c === '\\') {
      // A run of n backslashes as one piece (escaped, it reads 2n, 4n, and the next character's
      // escapes): a piece per backslash, each taking any number of them, backtracks exponentially.
      let n = 1;
      while (chars[i + n] === '\\') n++;
      source += `(?:${backslashes}{${n},}|(?:%5[cC]){${n}})`;
      i += n - 1;
      const next = chars[i + 1];
      if (next !== undefined && PUNCTUATION.test(next)) {
        source += `(?:\\${next}|${percent(next)})`;
        i++;
      }
    } else if (/[A-Za-z0-9]/.test(c)) source += c;
    else if (c === ' ') source += '(?: |\\+|%20)';
    else if (PUNCTUATION.test(c))
      // An `@` may be followed by the zero-width space the report adds so that it mentions no one.
      source += `(?:${backslashes}*\\${c}${c === '@' ? '\u200b?' : ''}|${percent(c)})`;
    else source += `(?:${unicodeEscaped(c)}${isWellFormed(c) ? `|${percent(c)}` : ''})`;
  }
  return source;
}

/** The characters a form that starts with `c` may start with in a message (see tolerant). */
function firstChars(c: string): string[] {
  if (/[A-Za-z0-9]/.test(c)) return [c];
  if (c === ' ') return [' ', '+', '%'];
  return [c.charAt(0), '\\', '%'];
}

/** A regex source matching `c`'s UTF-8 bytes percent-encoded, in upper or lower case hex. */
const percent = (c: string): string =>
  [...new TextEncoder().encode(c)]
    .map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)
    .join('')
    .replace(/[A-F]/g, (h) => `[${h}${h.toLowerCase()}]`);

/** `c` (a control character, a letter outside ASCII, an emoji) as a regex source of `\uXXXX` escapes. */
const unicodeEscaped = (c: string): string =>
  [...Array(c.length).keys()].map((k) => `\\u${c.charCodeAt(k).toString(16).padStart(4, '0')}`).join('');

/** Not a lone surrogate, which has no UTF-8 bytes. */
function isWellFormed(c: string): boolean {
  try {
    encodeURIComponent(c);
    return true;
  } catch {
    return false;
  }
}

/**
 * `text` with every registered secret replaced by `***`, in any of the forms addSecret names.
 * Never throws: every ModelGateError goes through here.
 */
export function redact(text: string): string {
  let out = text;
  for (const form of plain) if (out.includes(form)) out = out.split(form).join('***');
  if (pattern === undefined) return out;
  try {
    return out.replace(pattern, '***');
  } catch {
    fallBack();
    return redact(out);
  }
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
