import type { GitHubClient } from './client.js';
import type { Repo } from './repo-files.js';
import { TokenIdentity } from './token-identity.js';

/** Hidden in every body: what finds our comment among the others. */
export const COMMENT_MARKER = '<!-- model-gate report -->';
/** GitHub refuses a comment body over 65,536 characters. */
export const COMMENT_LIMIT = 65_536;

/** Which run wrote a comment: a run never overwrites a newer one's report. */
export interface RunStamp {
  runId: number;
  attempt: number;
}

export interface StoredComment {
  id: number;
  body: string;
  stamp?: RunStamp;
  /** The JSON data hidden in the body (release states), if any. */
  data?: unknown;
}

const DATA = /<!-- model-gate-data:([A-Za-z0-9+/=]*) -->/;
const STAMP = /<!-- model-gate-run:(\d+)\.(\d+) -->/;

/** Put the marker, the run stamp and hidden data around a visible markdown body. */
export function composeBody(markdown: string, stamp: RunStamp, data: unknown): string {
  const encoded = Buffer.from(JSON.stringify(data)).toString('base64');
  return `${COMMENT_MARKER}\n<!-- model-gate-run:${stamp.runId}.${stamp.attempt} -->\n<!-- model-gate-data:${encoded} -->\n${markdown}`;
}

export function readBody(body: string): Pick<StoredComment, 'stamp' | 'data'> {
  const stamp = STAMP.exec(body);
  const data = DATA.exec(body);
  let parsed: unknown;
  try {
    parsed = data ? JSON.parse(Buffer.from(data[1] ?? '', 'base64').toString('utf8')) : undefined;
  } catch {
    parsed = undefined;
  }
  return { stamp: stamp ? { runId: Number(stamp[1]), attempt: Number(stamp[2]) } : undefined, data: parsed };
}

const newer = (a: RunStamp, b: RunStamp) =>
  a.runId > b.runId || (a.runId === b.runId && a.attempt > b.attempt);

/**
 * The one model-gate comment of a pull request, found by its marker among the comments this
 * run's token could have written (a Bot's, or the personal access token's own User's), updated
 * in place. Anyone else's comment that carries the marker is neither read nor written.
 */
export class StickyComment {
  private found?: StoredComment | null;
  /** The comment's address on GitHub, once it exists. */
  url?: string;

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: Repo,
    readonly issue: number,
    /** Shared by the comments of a run, so that GitHub is asked who we are once. */
    private readonly identity = new TokenIdentity(client),
  ) {}

  async load(): Promise<StoredComment | undefined> {
    if (this.found !== undefined) return this.found ?? undefined;
    const comments = await this.client.paginate(this.client.rest.issues.listComments, {
      ...this.repo,
      issue_number: this.issue,
      per_page: 100,
    });
    const ours = await this.identity.first(comments.filter((c) => c.body?.startsWith(COMMENT_MARKER)));
    this.url = ours?.html_url;
    this.found = ours ? { id: ours.id, body: ours.body ?? '', ...readBody(ours.body ?? '') } : null;
    return this.found ?? undefined;
  }

  /**
   * Create or update the comment. Skipped when the body is unchanged, or when a newer
   * run already wrote it. Returns what happened; `url` then holds the comment's address.
   */
  async write(body: string, stamp: RunStamp): Promise<'created' | 'updated' | 'unchanged' | 'stale'> {
    const current = await this.load();
    if (current?.stamp && newer(current.stamp, stamp)) return 'stale';
    if (current?.body === body) return 'unchanged';
    if (current) {
      const res = await this.client.rest.issues.updateComment({ ...this.repo, comment_id: current.id, body });
      this.url = res.data.html_url;
      this.found = { ...current, body, stamp };
      return 'updated';
    }
    const res = await this.client.rest.issues.createComment({ ...this.repo, issue_number: this.issue, body });
    this.identity.learn(res.data.user);
    this.found = { id: res.data.id, body, stamp };
    this.url = res.data.html_url;
    return 'created';
  }
}
