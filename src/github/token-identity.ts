import type { GitHubClient } from './client.js';

/** The author of a comment, as GitHub lists it. */
export interface Author {
  id: number;
  type: string;
}

/**
 * Who this run's token writes as, to tell our comments from look-alikes anyone could post.
 * The job's GITHUB_TOKEN and App installation tokens write as a Bot (`github-actions[bot]`,
 * `<app-slug>[bot]`) and may not ask `GET /user` (403 "Resource not accessible by
 * integration"); a personal access token writes as its User, whom `GET /user` names.
 * Bots are trusted as before: only the repository's workflows and installed Apps write as
 * one. A User is trusted only when it is the token's own. GitHub is asked at most once a
 * run, and only when a User's comment could be ours.
 */
export class TokenIdentity {
  /** The id of the User the token acts for; null for a token that writes as a Bot. */
  private user?: Promise<number | null>;

  constructor(private readonly client: GitHubClient) {}

  /** The first of `items` this token wrote: a Bot's if any (no request), else the token User's. */
  async first<T extends { user?: Author | null }>(items: T[]): Promise<T | undefined> {
    const bot = items.find((item) => item.user?.type === 'Bot');
    const byUsers = items.filter((item) => item.user?.type === 'User');
    if (bot || byUsers.length === 0) return bot;
    const id = await this.userId();
    return id === null ? undefined : byUsers.find((item) => item.user?.id === id);
  }

  /** What the author of something this token just wrote tells about it, saving the question. */
  learn(author: Author | null | undefined): void {
    if (author) this.user ??= Promise.resolve(author.type === 'User' ? author.id : null);
  }

  private userId(): Promise<number | null> {
    this.user ??= this.client.rest.users.getAuthenticated().then(
      (res) => res.data.id,
      (error: unknown) => {
        if (writesAsBot(error)) return null;
        this.user = undefined;
        throw error;
      },
    );
    return this.user;
  }
}

/** GitHub's answer to `GET /user` for an integration token; a rate limit is not one. */
function writesAsBot(error: unknown): boolean {
  const { status, message } = error as { status?: number; message?: string };
  return status === 403 && !/rate limit/i.test(message ?? '');
}
