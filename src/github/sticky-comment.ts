import { gunzipSync, gzipSync } from 'node:zlib';
import { redact, redactNotes } from '../core/redact.js';
import { type GitHubClient, isNotFound, SEND_ONCE } from './client.js';
import type { Repo } from './repo-files.js';
import { TokenIdentity } from './token-identity.js';

/** Hidden in every body: what finds our comment among the others. */
export const COMMENT_MARKER = '<!-- model-gate report -->';
/** GitHub refuses a comment body over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;

/** Which run wrote a comment: a write by an older run merges with a newer one's, never replaces it. */
export interface RunStamp {
  runId: number;
  attempt: number;
}

export interface StoredComment {
  id: number;
  body: string;
  /** Text a person put above the marker (a maintainer's note): kept at the top when the report is rewritten. */
  note?: string;
  stamp?: RunStamp;
  /** The JSON data hidden in the body (release states), if any. */
  data?: unknown;
  /** Why the body has no readable data: every body model-gate writes has it, so it was edited. */
  dataProblem?: string;
}

/**
 * The marker on a line of its own, where model-gate puts it (the first line) or lower: a person
 * with write access may edit a note in above the report. The web editor saves \r\n line ends.
 */
const MARKER_LINE = new RegExp(`^${COMMENT_MARKER}\\r?$`, 'm');

/** Where the model-gate part of a comment's body starts, or -1 when it has no marker line. */
const markerAt = (body: string | null | undefined): number => (body ? body.search(MARKER_LINE) : -1);

/** Whether a comment's body carries the marker (on a line of its own): model-gate's report, if its author is ours. */
const hasMarker = (body: string | null | undefined): boolean => markerAt(body) >= 0;

/** Plain: base64 of the JSON. `gzip:` first: of the gzipped JSON, written when the plain form would not fit. */
const DATA = /<!-- model-gate-data:(gzip:)?(\S*) -->/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const STAMP = /<!-- model-gate-run:(\d+)\.(\d+) -->/;
/** Under 48 kB of gzipped JSON in a comment inflates to a few MB at most: far more was forged (a gzip bomb). */
const MAX_INFLATED = 32 * 1024 * 1024;

/**
 * The marker, the run stamp and the hidden data, which a visible markdown body follows.
 * `gzip`: the data compressed first (a third to a tenth of the size), for a PR with many models;
 * versions of model-gate before it read only the plain form, so it is written only when needed.
 */
export function bodyHead(stamp: RunStamp, data: unknown, gzip = false): string {
  // The runner masks its log only. Base64 hides nothing: the stored state's notes are redacted too.
  const json = JSON.stringify(redactNotes(data));
  const encoded = gzip ? `gzip:${gzipSync(json, { level: 9 }).toString('base64')}` : b64(json);
  return `${COMMENT_MARKER}\n<!-- model-gate-run:${stamp.runId}.${stamp.attempt} -->\n<!-- model-gate-data:${encoded} -->\n`;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Put the marker, the run stamp and hidden data around a visible markdown body. */
export function composeBody(markdown: string, stamp: RunStamp, data: unknown, gzip = false): string {
  return bodyHead(stamp, data, gzip) + redact(markdown);
}

export function readBody(body: string): Pick<StoredComment, 'stamp' | 'data' | 'dataProblem'> {
  const stamp = STAMP.exec(body);
  return {
    stamp: stamp ? { runId: Number(stamp[1]), attempt: Number(stamp[2]) } : undefined,
    ...hiddenData(body),
  };
}

/** The JSON hidden in a body, or why there is none to read. */
function hiddenData(body: string): Pick<StoredComment, 'data' | 'dataProblem'> {
  const found = DATA.exec(body);
  if (!found) return { dataProblem: 'it has no model-gate-data block' };
  const [, gzip, encoded = ''] = found;
  const unreadable = {
    dataProblem: `its model-gate-data block is not base64-encoded ${gzip ? 'gzipped ' : ''}JSON`,
  };
  if (!BASE64.test(encoded)) return unreadable;
  try {
    const bytes = Buffer.from(encoded, 'base64');
    const json = gzip ? gunzipSync(bytes, { maxOutputLength: MAX_INFLATED }) : bytes;
    return { data: JSON.parse(json.toString('utf8')) };
  } catch {
    return unreadable;
  }
}

const newer = (a: RunStamp, b: RunStamp) =>
  a.runId > b.runId || (a.runId === b.runId && a.attempt > b.attempt);

/** The newer of two stamps. */
export const newest = (a: RunStamp, b: RunStamp | undefined): RunStamp => (b && newer(b, a) ? b : a);

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'stale';

/** An issue comment as GitHub lists or gives it. */
type IssueComment = Awaited<ReturnType<GitHubClient['rest']['issues']['getComment']>>['data'];

/** A comment of ours as listed: its state is read from the marker on, never from a note above it. */
const stored = (c: IssueComment): StoredComment => {
  const body = c.body ?? '';
  const at = Math.max(0, markerAt(body));
  return { id: c.id, body, ...(at > 0 ? { note: body.slice(0, at) } : {}), ...readBody(body.slice(at)) };
};

/**
 * The body to send: a note above the marker stays above the new report; one that would take the
 * body over GitHub's limit is dropped (its text stays in the comment's edit history), since the
 * state below it must be written whole.
 */
function withNote(note: string | undefined, body: string): string {
  const kept = note ? note + body : body;
  return kept.length <= COMMENT_LIMIT ? kept : body;
}

/**
 * The one model-gate comment of a pull request, found by its marker among the comments this
 * run's token wrote (its own account, as GitHub names it: TokenIdentity), updated in place. Anyone
 * else's comment that carries the marker (another App's bot, a workflow echoing a user's text as
 * `github-actions[bot]`, a person) is neither read nor written. The marker
 * is found on any line: a maintainer who edits a note in above the report leaves the comment ours,
 * and the note stays above each new report.
 *
 * Jobs of one run (a matrix, one job per model) share the comment. Two of them that found none
 * may each create one: the one with the lowest id is the comment, and the others of ours that a
 * listing finds are its `duplicates`, deleted by the next write once it has carried their state.
 */
export class StickyComment {
  private found?: StoredComment | null;
  private extras: StoredComment[] = [];
  /** Created by this run and not listed since: another job may have created one at the same time. */
  private created = false;
  /** The comment's address on GitHub, once it exists. */
  url?: string;

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: Repo,
    readonly issue: number,
    /** Shared by the comments of a run, so that GitHub is asked who we are once. */
    private readonly identity = new TokenIdentity(client),
  ) {}

  /** The comment as first read (one listing a run), or as this run last wrote or re-read it. */
  async load(): Promise<StoredComment | undefined> {
    if (this.found !== undefined) return this.found ?? undefined;
    return this.list();
  }

  /** The comment as it is now: one request for the comment this run knows, a listing otherwise. */
  async reload(): Promise<StoredComment | undefined> {
    const known = this.found;
    if (!known || this.created) return this.list();
    try {
      const res = await this.client.rest.issues.getComment({ ...this.repo, comment_id: known.id });
      if (hasMarker(res.data.body)) return this.keep(res.data);
    } catch (error) {
      // Deleted: by hand, or as the duplicate of another job's comment.
      if (!isNotFound(error)) throw error;
    }
    return this.list();
  }

  /** Every comment of the pull request read again: ours (the lowest id of ours) and its duplicates. */
  async list(): Promise<StoredComment | undefined> {
    const comments = await this.client.paginate(this.client.rest.issues.listComments, {
      ...this.repo,
      issue_number: this.issue,
      per_page: 100,
    });
    const marked = comments.filter((c) => hasMarker(c.body)).sort((a, b) => a.id - b.id);
    const [ours, ...extras] = await this.identity.ours(marked);
    this.extras = extras.map(stored);
    this.created = false;
    if (!ours) {
      this.found = null;
      return undefined;
    }
    return this.keep(ours);
  }

  /** The comment as this run last read or wrote it. */
  get current(): StoredComment | undefined {
    return this.found ?? undefined;
  }

  /** Other comments of ours that the last listing found beside the comment: a creation race's. */
  get duplicates(): readonly StoredComment[] {
    return this.extras;
  }

  /** Whether a newer run than `stamp` wrote the comment, as last read. */
  newerThan(stamp: RunStamp): boolean {
    const theirs = this.found?.stamp;
    return theirs !== undefined && newer(theirs, stamp);
  }

  /**
   * Create or update the comment, then delete its duplicates. Skipped when the body is
   * unchanged, or when a newer run already wrote it. Returns what happened; `url` then holds
   * the comment's address. The body is sent once: a write GitHub refuses for now fails, for the
   * caller to rebuild from a fresh read, since a body re-sent later could drop what other jobs
   * wrote meanwhile.
   */
  async write(body: string, stamp: RunStamp): Promise<WriteOutcome> {
    const current = await this.load();
    if (this.newerThan(stamp)) return 'stale';
    const outcome = await this.put(current, body, stamp);
    for (const extra of this.extras.splice(0)) {
      await this.client.rest.issues
        .deleteComment({ ...this.repo, comment_id: extra.id })
        .catch((error: unknown) => {
          // Another job of the run deleted it first.
          if (!isNotFound(error)) throw error;
        });
    }
    return outcome;
  }

  private async put(
    current: StoredComment | undefined,
    body: string,
    stamp: RunStamp,
  ): Promise<WriteOutcome> {
    const sent = withNote(current?.note, body);
    if (current?.body === sent) return 'unchanged';
    if (current) {
      const res = await this.client.rest.issues.updateComment({
        ...this.repo,
        comment_id: current.id,
        body: sent,
        ...SEND_ONCE,
      });
      this.url = res.data.html_url;
      this.found = { ...current, body: sent, note: sent === body ? undefined : current.note, stamp };
      return 'updated';
    }
    const res = await this.client.rest.issues.createComment({
      ...this.repo,
      issue_number: this.issue,
      body,
      ...SEND_ONCE,
    });
    this.identity.learn(res.data.user);
    this.found = { id: res.data.id, body, stamp };
    this.created = true;
    this.url = res.data.html_url;
    return 'created';
  }

  private keep(comment: IssueComment): StoredComment {
    this.url = comment.html_url;
    this.found = stored(comment);
    return this.found;
  }
}
