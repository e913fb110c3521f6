/** A line the runner reads as a command: `::` after what .NET's TrimStart drops (blanks, and NEL and U+001C-U+001F among control characters). */
const COMMAND_START = /^[\s\p{Cc}]*::/u;

/**
 * `message` as text the runner shows and never obeys. core.info writes it as it is, and the runner
 * reads each line of the log (a CR ends one too) as a workflow command when it starts with `::`
 * after blanks, or holds `##[` and a command's name anywhere: a platform's or a PR's words could
 * set an output, mask text or forge an annotation. Such a line gets `| ` before it, and `##[` a
 * space inside; every other line is left as written. (core.warning escapes its line breaks itself.)
 */
export function asLogText(message: string): string {
  return message
    .split(/\r\n|\r|\n/)
    .map((line) => (COMMAND_START.test(line) ? `| ${line}` : line).replaceAll('##[', '## ['))
    .join('\n');
}
