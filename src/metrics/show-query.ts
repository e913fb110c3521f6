import { redact } from '../core/redact.js';

/** Text from a backend or a user, shortened to one line for a message or a look's note. */

/**
 * The first part of a body for an error message, on one line. Secrets hidden before the cut: one
 * the cut runs through would no longer match, and its head go out (a 401 quoting a password).
 */
export function snippet(text: string, max = 200): string {
  const line = redact(text).replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/**
 * A query for a message: on one line, shortened, with a URL's credentials and query string
 * (where an http-json query's API key travels) left out, as other messages show URLs (safe-url.ts).
 * Templates such as `{{model}}` stay as written.
 */
export function showQuery(query: string): string {
  return JSON.stringify(snippet(withoutUrlSecrets(query), 160));
}

const withoutUrlSecrets = (text: string) =>
  text.replace(/\b(https?:\/\/)[^\s/?#@"]*@/gi, '$1').replace(/\b(https?:\/\/[^\s?#"]*)\?[^\s#"]*/gi, '$1?…');
