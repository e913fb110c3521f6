/**
 * URLs as messages and reports show them. A URL may carry a secret in its credentials
 * (`https://user:pass@host`) or its query string (`?api_key=...`), and what model-gate writes
 * reaches logs, the PR comment and commit statuses, which the runner's masking never sees.
 */

/** The URL without its credentials, query string and fragment. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** What a URL addresses, however written: its scheme, host and path, with no credentials or trailing slash. */
export const urlAddress = (u: URL): string => `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'`<>|)]+/gi;

/**
 * Every URL in `text` without its credentials, and with `?…` for its query string; a fragment
 * (an http-json selector, `#data.rate`) is kept, since it names what is read, not who reads it.
 */
export function hideUrlSecrets(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => {
    try {
      const u = new URL(found);
      return `${safeUrl(found)}${u.search ? '?…' : ''}${u.hash}`;
    } catch {
      return '(invalid URL)';
    }
  });
}
