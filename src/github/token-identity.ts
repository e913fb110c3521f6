import { ModelGateError } from '../core/errors.js';
import { describeGitHubError, type GitHubClient } from './client.js';

/** The author of a comment or the creator of a deployment, as GitHub lists them. */
export interface Author {
  id: number;
  type?: string;
}

/**
 * GitHub's GraphQL names the account a token acts as, whatever the token: a personal access
 * token's User, and the Bot of the job's GITHUB_TOKEN (`github-actions[bot]`) or of an App
 * installation (`<app-slug>[bot]`), which `GET /user` refuses (403 "Resource not accessible by
 * integration"). `databaseId` is the account's id, as REST gives it in `user.id`.
 */
const VIEWER_QUERY = 'query { viewer { login databaseId } }';

interface Viewer {
  viewer?: { login?: string; databaseId?: number | null } | null;
}

/** GitHub could not say who the token is: model-gate then trusts no comment, and stops. */
export class TokenIdentityError extends ModelGateError {}

/**
 * Who this run's token writes as, to tell what it wrote (its PR comment, its canary claims) from
 * look-alikes anyone could make: another App's bot, a workflow that echoes a user's text into a
 * comment as `github-actions[bot]`, a person. Only the token's own account is trusted, never a
 * kind of account. GitHub is asked at most once a run, and only when something could be ours:
 * what this run wrote itself tells it (learn), saving the question.
 */
export class TokenIdentity {
  /** The id of the account the token acts as. */
  private me?: Promise<number>;

  constructor(private readonly client: GitHubClient) {}

  /** The items of `items` this token wrote, in their order. */
  async ours<T extends { user?: Author | null }>(items: T[]): Promise<T[]> {
    const authored = items.filter((item) => item.user);
    if (authored.length === 0) return [];
    const id = await this.id();
    return authored.filter((item) => item.user?.id === id);
  }

  /** Whether this token is `author`. */
  async is(author: Author | null | undefined): Promise<boolean> {
    return (await this.ours([{ user: author }])).length > 0;
  }

  /** What the author of something this token just wrote tells about it, saving the question. */
  learn(author: Author | null | undefined): void {
    if (author) this.me ??= Promise.resolve(author.id);
  }

  /** Asked once: a failure is the run's (no comment is trusted), not asked again by each read. */
  private id(): Promise<number> {
    this.me ??= this.client.graphql<Viewer>(VIEWER_QUERY).then(
      (data) => {
        const id = data?.viewer?.databaseId;
        if (typeof id === 'number') return id;
        throw new TokenIdentityError(unknown(`GitHub named no account (${JSON.stringify(data)})`));
      },
      (error: unknown) => {
        throw new TokenIdentityError(unknown(answerOf(error)));
      },
    );
    return this.me;
  }
}

/** GitHub's refusal in one line: GraphQL's errors (an answer 200 with `errors`), or the request's. */
function answerOf(error: unknown): string {
  const errors = (error as { errors?: { message?: string }[] }).errors;
  if (Array.isArray(errors)) return `GitHub answered: ${errors.map((e) => e.message).join('; ')}`;
  return describeGitHubError(error);
}

const unknown = (why: string) =>
  `model-gate could not learn who its github-token writes as (GitHub's GraphQL ${VIEWER_QUERY}): ${why}. ` +
  'It reads its state only from a comment that token wrote, so it trusts none and stopped before ' +
  'acting on any; re-run the job once GitHub answers (on GitHub Enterprise Server, its GraphQL API ' +
  'must be reachable at <host>/api/graphql)';
