import { InputError } from '../core/errors.js';
import type { LogLines } from './analyze-lines.js';

/** Past this much text a document is not parsed whole: its first line (`{`, `[`) still says it is one. */
const PARSED_UP_TO = 4 << 20;

/** What a JSON document's first line looks like: a list, or an object not closed on its line. */
const mayOpenDocument = (line: string) =>
  line.startsWith('[') || (line.startsWith('{') && !line.endsWith('}'));

/** analyze's own `--json` report: `{ file, alpha, gates: [{ gate, looks: [...] }] }`. */
function isReport(value: unknown): value is { file?: unknown } {
  const gates = (value as { gates?: unknown } | null)?.gates;
  return Array.isArray(gates) && gates.some((g) => Array.isArray((g as { looks?: unknown } | null)?.looks));
}

function parsed(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) };
  } catch {
    return undefined;
  }
}

/**
 * Tells one JSON document (pretty-printed, a list on one line, analyze's own `--json` report) from
 * JSON lines as the first pass reads the log, so that a log refused for being one is told so in
 * one line with the way to make JSON lines of it, rather than with a problem on each of its lines.
 * Only the first line is looked at unless it may open a document; such a log's text is kept up
 * to PARSED_UP_TO to parse it whole.
 */
export class JsonDocumentCheck {
  private first: string | undefined;
  /** The text of a log whose first line may open a document, while it is small enough to parse. */
  private text: string[] | undefined;
  private size = 0;
  /** A line of analyze's pretty-printed report (`"looks": [`), for a document too long to parse. */
  private looksLine = false;
  private firstLineReport: { file?: unknown } | undefined;
  private ended = false;

  /** The log's lines as they are, looked at on their way to the first pass. */
  watching(log: LogLines): LogLines {
    const see = (batch: string[]) => this.see(batch);
    const end = () => {
      this.ended = true;
    };
    return {
      async *lines() {
        for await (const batch of log.lines()) {
          see(batch);
          yield batch;
        }
        end();
      },
      close: () => log.close(),
    };
  }

  /**
   * `err` as the first pass refused the log, or, when the log read whole is one JSON document,
   * the one line that says so.
   */
  insteadOf(file: string, err: unknown): unknown {
    if (!(err instanceof InputError) || !this.ended || this.first === undefined) return err;
    if (this.firstLineReport) return reportError(file, this.firstLineReport);
    if (!mayOpenDocument(this.first)) return err;
    const whole = this.text && parsed(this.text.join('\n'));
    // Too long to parse, or not JSON whole (a document cut short): its first line is enough.
    if (!whole && this.first !== '{' && !this.first.startsWith('[')) return err;
    if (whole ? isReport(whole.value) : this.looksLine) return reportError(file, whole?.value ?? {});
    const each = this.first.startsWith('[') ? `'.[]'` : '.';
    return new InputError(
      `${file}: one JSON document, not JSON lines: analyze reads one observation per line (docs/observations.md), e.g. analyze <(jq -c ${each} ${file})`,
    );
  }

  private see(batch: string[]): void {
    for (const raw of batch) {
      if (this.first === undefined) {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) continue;
        this.first = line;
        if (!mayOpenDocument(line)) {
          // A JSON line: analyze's report squeezed onto one (`jq -c`) is the one document it may be.
          const one = line.includes('"looks"') ? parsed(line) : undefined;
          if (one && isReport(one.value)) this.firstLineReport = one.value;
          return;
        }
        this.text = [];
      } else if (!mayOpenDocument(this.first)) return;
      if (raw.trimStart().startsWith('"looks":')) this.looksLine = true;
      if (!this.text) continue;
      this.size += raw.length + 1;
      if (this.size > PARSED_UP_TO) this.text = undefined;
      else this.text.push(raw);
    }
  }
}

function reportError(file: string, report: { file?: unknown }): InputError {
  const of = typeof report.file === 'string' ? ` (of ${report.file})` : '';
  return new InputError(
    `${file}: one JSON document, not JSON lines: model-gate analyze's own --json report${of}; analyze the observation log it was made from, one observation per line (docs/observations.md)`,
  );
}
