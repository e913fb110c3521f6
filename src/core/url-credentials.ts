/**
 * `https://user:token@host/...` (as Grafana Cloud and gateways hand them out) as the URL without
 * its credentials plus an `Authorization: Basic` header: undici sends no userinfo, so the server
 * would see no credentials at all. A header the user set (`headers: { Authorization: ... }`)
 * wins.
 */
export function withUrlCredentials(
  raw: string,
  headers: Record<string, string>,
): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { url: raw, headers };
  }
  if (u.username === '' && u.password === '') return { url: raw, headers };
  // userinfo is percent-encoded in a URL; Basic takes the text itself (RFC 7617).
  const user = decoded(u.username);
  const password = decoded(u.password);
  u.username = '';
  u.password = '';
  const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
  if (hasAuthorization) return { url: u.toString(), headers };
  const basic = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  return { url: u.toString(), headers: { ...headers, authorization: `Basic ${basic}` } };
}

/** Percent-decoded text; a stray `%` is the character itself, so text that does not decode stays as it is. */
export function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray `%` is the character itself
  }
}

/** Whether an HTTP status is a refusal of the credentials sent (or of none). */
export const refusedCredentials = (status: number): boolean => status === 401 || status === 403;
