/**
 * Query templates: `{{slot}}`, `{{model}}`, `{{version}}`, `{{name}}`, `{{window}}`, `{{since}}` and
 * `{{until}}` in a query a user wrote, filled in for one slot over one window (SPEC section 2). `{{name}}` is
 * what the platform calls the slot's version (MetricWindow.name): a SageMaker variant
 * `fraud-{{version}}` serves v1.2 as `fraud-v1-2`, and its metrics carry that name, not the version.
 *
 * A value can never change the shape of the query it lands in: the template is scanned once,
 * left to right, tracking which quoted string (if any) each placeholder sits in; the value is
 * escaped for that string by the source's own rules, and a value that would have to appear
 * outside any string must be a plain token (letters, digits, `.`, `_`, `+`, `-`). Substituted
 * text is never scanned again, so a value holding `{{...}}` stays literal text.
 */
import { MetricsError } from '../core/errors.js';
import type { MetricWindow } from './source.js';

export const TEMPLATE_VARIABLES = ['slot', 'model', 'version', 'name', 'window', 'since', 'until'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string>;

/** How a source writes its string literals: which characters open one, and whether `\` escapes. */
export interface QuoteRules {
  /** Quote characters that start a string, each with whether a backslash escapes inside it. */
  quotes: Record<string, { backslash: boolean }>;
  /** Starts a comment to the end of the line outside strings (PromQL's `#`): quotes in it open nothing. */
  lineComment?: string;
  /**
   * Operators after which a string is a regular expression (PromQL's `=~` and `!~`): a value
   * placed in one must match itself only (a version `1.0.0+build` holds `.` and `+`).
   */
  regexMatchers?: string[];
}

/**
 * Escapes a value for the string it sits in (`quote`), or for bare text (`quote` undefined);
 * `regex`: that string is a regular expression, in which the value must match itself only.
 */
export type Escaper = (
  value: string,
  quote: string | undefined,
  variable: TemplateVariable,
  regex: boolean,
) => string;

const PLACEHOLDER = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/;
/**
 * What a value may be where it is not inside a string: every valid slot, model, version, window,
 * since, until, and every platform name but a Vertex display name.
 */
export const PLAIN_TOKEN = /^[A-Za-z0-9._+-]+$/;

const isVariable = (name: string): name is TemplateVariable =>
  (TEMPLATE_VARIABLES as readonly string[]).includes(name);

/** `95s`: the whole seconds (rounded up, at least 1) from the window's start to its end. */
export function windowText(w: Pick<MetricWindow, 'since' | 'until'>): string {
  return `${windowSeconds(w)}s`;
}

export function windowSeconds(w: Pick<MetricWindow, 'since' | 'until'>): number {
  return Math.max(1, Math.ceil((w.until - w.since) / 1000));
}

/** The values of the template variables for one slot over one window. */
export function templateValues(w: MetricWindow): TemplateValues {
  return {
    slot: w.slot,
    model: w.model,
    version: w.version,
    name: w.name ?? w.version,
    window: windowText(w),
    since: String(Math.floor(w.since / 1000)),
    // Rounded up, as {{since}} is down: [since, until] holds the whole window. An endpoint that
    // knows no end answers up to now, and a window that ended in the past would read the present.
    until: String(Math.ceil(w.until / 1000)),
  };
}

/**
 * What is wrong with a template, or undefined: an unknown `{{name}}`, or a `{{` that does not
 * start a variable. Used by the config schema, so a typo is caught before anything is deployed.
 */
export function templateProblem(template: string): string | undefined {
  let at = template.indexOf('{{');
  while (at >= 0) {
    const match = PLACEHOLDER.exec(template.slice(at));
    if (!match) {
      return `"{{" at character ${at + 1} does not start a variable such as {{slot}} (known: ${TEMPLATE_VARIABLES.join(', ')})`;
    }
    const name = match[1] as string;
    if (!isVariable(name)) {
      return `unknown variable {{${name}}} (known: ${TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ')})`;
    }
    at = template.indexOf('{{', at + match[0].length);
  }
  return undefined;
}

/** The variables a template uses, in order of first use. */
export function templateVariables(template: string): TemplateVariable[] {
  const out: TemplateVariable[] = [];
  for (const m of template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) {
    const name = m[1] as string;
    if (isVariable(name) && !out.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Fills in a template in one pass. `rules` says which quotes open strings in the query
 * language; `escape` turns a value into text that is safe where it lands.
 */
export function renderTemplate(
  template: string,
  values: TemplateValues,
  rules: QuoteRules,
  escapeValue: Escaper,
): string {
  const problem = templateProblem(template);
  if (problem) throw new MetricsError(`query template ${JSON.stringify(template)}: ${problem}`);
  let out = '';
  let quote: string | undefined;
  let regex = false;
  let comment = false;
  let i = 0;
  while (i < template.length) {
    const c = template[i] as string;
    if (c === '{' && template.startsWith('{{', i)) {
      const match = PLACEHOLDER.exec(template.slice(i)) as RegExpExecArray;
      const name = match[1] as TemplateVariable;
      // In a comment a value is bare text: a plain token cannot end the comment early.
      out += comment
        ? escapeValue(values[name], undefined, name, false)
        : escapeValue(values[name], quote, name, regex);
      i += match[0].length;
      continue;
    }
    if (comment) {
      if (c === '\n') comment = false;
    } else if (quote === undefined) {
      if (c in rules.quotes) {
        quote = c;
        const before = out.trimEnd();
        regex = (rules.regexMatchers ?? []).some((m) => before.endsWith(m));
      } else if (c === rules.lineComment) comment = true;
    } else if (c === '\\' && rules.quotes[quote]?.backslash) {
      // An escape sequence inside the string: the next character cannot close it.
      out += c + (template[i + 1] ?? '');
      i += 2;
      continue;
    } else if (c === quote) {
      quote = undefined;
    }
    out += c;
    i += 1;
  }
  return out;
}

/** `value` as a regular expression (RE2, JavaScript) that matches exactly that text. */
export const regexLiteral = (value: string): string => value.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

/** For values outside any string: only a plain token, anything else is refused. */
export function plainToken(value: string, variable: TemplateVariable): string {
  if (!PLAIN_TOKEN.test(value)) {
    throw new MetricsError(
      `the value of {{${variable}}} (${JSON.stringify(value)}) cannot be placed outside a quoted string safely; put the placeholder in quotes`,
    );
  }
  return value;
}

/** Control characters have no business in a label, tag or dimension value. */
export function refuseControl(value: string, variable: TemplateVariable): void {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new MetricsError(`the value of {{${variable}}} contains a control character; refused`);
  }
}
