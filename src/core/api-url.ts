/**
 * An API path under a configured base URL (a metric source's, a target's), with the API's parameters. The base URL's
 * own path (a proxy's `/prometheus`, `/datadog`) and query string (a tenant, `?orgId=1`) are
 * kept, the path going before the query string, not after it: appended as text,
 * `…?orgId=1/api/v1/query` asked the proxy's root with a mangled parameter (a 404). A trailing
 * slash is not doubled, a fragment is dropped (it would swallow everything after it), and a
 * parameter of the API wins over one of the same name in the base URL.
 */
export function apiUrl(base: string, path: string, params: Record<string, string>): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.hash = '';
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}
