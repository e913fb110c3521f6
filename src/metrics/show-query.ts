/** Text from a backend or a user, shortened to one line for a message or a look's note. */

/** The first part of a body for an error message, on one line. */
export function snippet(text: string, max = 200): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}...` : line;
}

/** A query for a message: on one line, shortened. */
export function showQuery(query: string): string {
  return JSON.stringify(snippet(query, 160));
}
