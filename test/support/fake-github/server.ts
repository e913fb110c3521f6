// A stand-in for the GitHub REST API (api.github.com) for end-to-end tests: a real HTTP server on
// 127.0.0.1 that serves the operations model-gate uses, checks every request against GitHub's
// official OpenAPI description (test/support/fake-github/openapi-subset.json), checks every JSON
// answer it gives against the same description, and behaves like GitHub (pagination, comments,
// contents, deployments and their statuses, commit statuses, the token's user, errors and rate
// limits). What the token is decides who authors what the code under test writes: the job's
// GITHUB_TOKEN (or an App's installation token) writes as a Bot and `GET /user` refuses it; a
// personal access token writes as its User, whom `GET /user` names (`tokenKind: 'pat'`). GitHub's
// GraphQL `viewer` query (POST /graphql, graphql.ts) names the token's account for either.
// Point the code under test at it with GITHUB_API_URL=fake.url; assert `fake.violations` is empty.
//
//   const fake = await startFakeGitHub({ owner: 'acme', repo: 'models' });
//   fake.setPullRequest(7, { baseSha, headSha, files: [{ filename: 'models/a/model.yaml', status: 'modified' }] });
//   fake.setFile(headSha, '.github/model-gate.yml', configText);
//   ... run the action with GITHUB_API_URL=fake.url and any token ...
//   expect(fake.violations).toEqual([]);
//   expect(fake.comments(7)).toHaveLength(1);
//   await fake.close();
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { commitJson, comparison, type Parents } from './commits.js';
import {
  checkBody,
  checkParameters,
  checkResponse,
  type GitHubValidationError,
  type Operation,
  route,
} from './contract.js';
import { answerGraphQL } from './graphql.js';
import { authenticatedUser, blobSha, HTML, nodeId, repository, timestamp, user } from './objects.js';
// Octokit's limiters yield with setImmediate: a request costs what the stand-in takes, not 25 ms of timers.
import '../fast-bottleneck.js';

/**
 * `github-actions`: the job's GITHUB_TOKEN or an App installation token (a Bot; `GET /user` answers 403
 * "Resource not accessible by integration"). `pat`: a personal access token (a User; `GET /user` names it).
 */
export type TokenKind = 'github-actions' | 'pat';

export interface FakeGitHubOptions {
  owner: string;
  repo: string;
  /** What the token is (default `github-actions`). */
  tokenKind?: TokenKind;
  /**
   * Login of the user the token belongs to (author of what the code under test creates): a Bot's
   * `<app-slug>[bot]` (default `github-actions[bot]`), or a User's for a `pat` (default `monalisa`).
   */
  botLogin?: string;
}

export type PullRequestFileStatus =
  | 'added'
  | 'removed'
  | 'modified'
  | 'renamed'
  | 'copied'
  | 'changed'
  | 'unchanged';

export interface FakePullRequestFile {
  filename: string;
  status: PullRequestFileStatus;
  previous_filename?: string;
  additions?: number;
  deletions?: number;
  patch?: string;
}

export interface FakePullRequestSeed {
  baseSha: string;
  headSha: string;
  files: FakePullRequestFile[];
  /** Author's login (default `octocat`). */
  user?: string;
  /** `owner/name` of the head repository; another one than the fake's makes the PR come from a fork. */
  headRepoFullName?: string;
  /** Head branch name (default `pr-<number>`); base branch name (default `main`). Both become refs. */
  headRef?: string;
  baseRef?: string;
  title?: string;
  body?: string | null;
  state?: 'open' | 'closed';
  merged?: boolean;
  draft?: boolean;
  labels?: string[];
}

export interface RecordedRequest {
  method: string;
  /** Path without the query, as sent (percent-encoded). */
  path: string;
  query: Record<string, string>;
  status: number;
  /** Parsed JSON body (text when it was not JSON; undefined when empty). */
  body: unknown;
  /** The OpenAPI path template and operationId it was routed to, if any. */
  template?: string;
  operationId?: string;
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  user: string;
  userType: 'User' | 'Bot';
  createdAt: string;
  updatedAt: string;
  htmlUrl: string;
}

export type DeploymentState =
  | 'error'
  | 'failure'
  | 'inactive'
  | 'in_progress'
  | 'queued'
  | 'pending'
  | 'success';

export interface FakeDeploymentStatus {
  id: number;
  deploymentId: number;
  state: DeploymentState;
  description: string;
  environment: string;
  targetUrl: string;
  logUrl: string;
  environmentUrl: string;
  autoInactive: boolean;
  /** True for the `inactive` statuses GitHub adds itself (auto_inactive). */
  automatic: boolean;
  creator: string;
  createdAt: string;
}

export interface FakeDeployment {
  id: number;
  ref: string;
  sha: string;
  task: string;
  /** Current environment (a status can change it); originalEnvironment is the one it was created with. */
  environment: string;
  originalEnvironment: string;
  payload: unknown;
  description: string | null;
  autoMerge: boolean;
  requiredContexts: string[] | undefined;
  transientEnvironment: boolean;
  productionEnvironment: boolean;
  creator: string;
  createdAt: string;
  /** Oldest first. */
  statuses: FakeDeploymentStatus[];
}

export type CommitState = 'error' | 'failure' | 'pending' | 'success';

export interface FakeCommitStatus {
  id: number;
  sha: string;
  state: CommitState;
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: string;
  createdAt: string;
}

/** Matches a request path: a string is an OpenAPI path template or an exact path; a RegExp tests the path. */
export type PathPattern = string | RegExp;

export interface FakeGitHub {
  /** Base URL, to use as GITHUB_API_URL (no trailing slash). */
  readonly url: string;
  readonly owner: string;
  readonly repo: string;
  readonly tokenKind: TokenKind;
  readonly botLogin: string;
  close(): Promise<void>;

  // seeding
  /** From now on the token is of this kind and belongs to `login` (defaults as in the options). */
  useToken(kind: TokenKind, login?: string): void;
  /** A file's text at a ref (a branch name or a commit SHA) for the contents API. */
  setFile(ref: string, path: string, text: string): void;
  /** A branch or tag name pointing at a commit SHA (for deployments, contents and statuses by ref). */
  setRef(name: string, sha: string): void;
  /**
   * A commit's parents, for the compare operation (its merge_base_commit). Unseeded, a PR's base
   * is where its head branched from.
   */
  setParents(sha: string, parents: string[]): void;
  setPullRequest(number: number, pr: FakePullRequestSeed): void;
  /**
   * GitHub's side of an event it delivers to a workflow run: a seeded PR is where the pull_request
   * payload says (its head, open, closed or merged), as GitHub had it before sending the event. Other
   * events, and a PR not seeded, change nothing. Test runners call it for a run's first attempt
   * (deliverEvent); a re-run carries its original event and GitHub moves nothing for it.
   */
  deliver(eventName: string, payload: unknown): void;
  /** A comment by someone else (or any user) on an issue or pull request. */
  addComment(issue: number, body: string, user: string): FakeComment;
  /** A workflow run starts (a new one, or a re-run: its attempt goes up) and, later, completes. */
  startRun(id: number): void;
  endRun(id: number): void;
  /** A run GitHub no longer has (deleted, or past the 30 days a run can be re-run in). */
  forgetRun(id: number): void;
  /** Whether the token may re-run workflows (`permissions: actions: write`); default true. */
  allowActionsWrite(allowed: boolean): void;

  // inspection
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Comments on an issue or pull request, oldest first. */
  comments(issue: number): FakeComment[];
  /** Deployments (of an environment, when given), oldest first, each with its statuses oldest first. */
  deployments(environment?: string): FakeDeployment[];
  /** Commit statuses of a commit, oldest first. */
  commitStatuses(sha: string): FakeCommitStatus[];
  /** The runs re-run through the API, in order. */
  readonly reruns: number[];
  /** Requests received (of a method, `*` for any, and path pattern, when given). */
  requestCount(method?: string, pathPattern?: PathPattern): number;
  /** Requests received that write (any method but GET and HEAD). */
  writeCount(): number;
  /** Forgets the requests received so far (not the violations). */
  resetRequests(): void;
  /** Breaches of GitHub's contract seen so far, by the client or by the fake itself. Tests assert it is empty. */
  readonly violations: string[];

  // fault injection
  /**
   * The next `count` requests matching method (`*` for any) and path pattern answer `status` with
   * `headers`. A 403/429 with `retry-after` answers GitHub's secondary rate limit message; a 403/429
   * with `x-ratelimit-remaining: 0` the primary rate limit message; any other status its reason.
   */
  failNext(
    method: string,
    pathPattern: PathPattern,
    status: number,
    count?: number,
    headers?: Record<string, string>,
    body?: unknown,
  ): void;
  /** Drops the faults not yet used up: a test's lasting refusal does not reach the next test. */
  clearFaults(): void;
  /** failNext with GitHub's rate limit answer: secondary (403, retry-after: 1) or primary (403, x-ratelimit-remaining: 0, reset in 1 s). */
  rateLimitNext(
    method: string,
    pathPattern: PathPattern,
    kind: 'secondary' | 'primary',
    count?: number,
  ): void;
}

interface Fault {
  method: string;
  pattern: PathPattern;
  status: number;
  remaining: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What deliver reads of a pull_request event's payload. */
interface PullRequestPayload {
  number: number;
  state: string;
  merged?: boolean | null;
  head: { sha: string };
}

interface PullRequestState extends FakePullRequestSeed {
  number: number;
  createdAt: string;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as is (text/plain) instead of JSON. */
  text?: string;
}

class HttpError extends Error {
  constructor(readonly answer: Answer) {
    super(`HTTP ${answer.status}`);
  }
}

const MAX_COMMENT = 65_536;
/** The largest file the contents API sends inline (base64) with the default media type: 1 MB. */
const CONTENTS_INLINE_MAX = 1024 * 1024;
/** The most files the list of a pull request's files holds. */
const LIST_FILES_MAX = 3000;
const MAX_STATUS_DESCRIPTION = 140;
const RATE_LIMIT = 5000;
const DEFAULT_BRANCH = 'main';
const SECONDARY_RATE_LIMIT_DOCS =
  'https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const PRIMARY_RATE_LIMIT_DOCS =
  'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits';
const SHA = /^[0-9a-f]{40}$/i;
/** GitHub's GraphQL endpoint (on GitHub Enterprise Server /api/graphql, beside /api/v3). */
const GRAPHQL_PATH = '/graphql';
const GRAPHQL_DOCS = 'https://docs.github.com/graphql';

function matches(pattern: PathPattern, path: string, template: string | undefined): boolean {
  if (typeof pattern === 'string') return pattern === path || pattern === template;
  pattern.lastIndex = 0;
  return pattern.test(path);
}

function methodMatches(wanted: string | undefined, method: string): boolean {
  return wanted === undefined || wanted === '*' || wanted.toUpperCase() === method;
}

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const fake = new Fake(opts);
  await fake.listen();
  live.set(fake.url, fake);
  return fake;
}

/** The stand-ins of this process that are listening, by URL: what a test runner's GITHUB_API_URL reaches. */
const live = new Map<string, FakeGitHub>();

/**
 * What GitHub did before a workflow run of `eventName` started: for the first attempt (GITHUB_RUN_ATTEMPT
 * unset or 1), the stand-in at `githubUrl`, if any, takes in the event's payload (FakeGitHub.deliver).
 * A re-run (attempt 2 on) carries the event as it was then, the PR wherever it is now.
 */
export function deliverEvent(opts: {
  githubUrl: string | undefined;
  eventName: string;
  event: unknown;
  runAttempt: string | undefined;
}): void {
  if ((opts.runAttempt ?? '1') !== '1' || opts.githubUrl === undefined) return;
  live.get(opts.githubUrl)?.deliver(opts.eventName, opts.event);
}

class Fake implements FakeGitHub {
  url = '';
  readonly owner: string;
  readonly repo: string;
  tokenKind: TokenKind = 'github-actions';
  botLogin = '';
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly reruns: number[] = [];

  private readonly server = createServer((req, res) => {
    this.serve(req, res).catch((error: unknown) => {
      this.violations.push(`fake GitHub crashed on ${req.method} ${req.url}: ${String(error)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ message: 'Server Error' }));
    });
  });
  private readonly files = new Map<string, Map<string, string>>();
  private readonly refs = new Map<string, string>();
  private readonly parents: Parents = new Map();
  private readonly pulls = new Map<number, PullRequestState>();
  private readonly issues = new Set<number>();
  private readonly allComments: FakeComment[] = [];
  private readonly allDeployments: FakeDeployment[] = [];
  private readonly allStatuses: FakeCommitStatus[] = [];
  private readonly faults: Fault[] = [];
  /** Workflow runs by id: whether each is still running. */
  private readonly runs = new Map<number, { running: boolean }>();
  private actionsWrite = true;
  private readonly resetAt = Math.floor(Date.now() / 1000) + 3600;
  // Ids of created objects: large like GitHub's, and unlike issue numbers.
  private nextId = 2_000_000_001;
  private served = 0;

  constructor(opts: FakeGitHubOptions) {
    this.owner = opts.owner;
    this.repo = opts.repo;
    this.useToken(opts.tokenKind ?? 'github-actions', opts.botLogin);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const { port } = this.server.address() as AddressInfo;
        this.url = `http://127.0.0.1:${port}`;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    live.delete(this.url);
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- seeding -------------------------------------------------------------------------------

  useToken(kind: TokenKind, login?: string): void {
    const bot = kind === 'github-actions';
    const name = login ?? (bot ? 'github-actions[bot]' : 'monalisa');
    if (name.endsWith('[bot]') !== bot) {
      throw new Error(
        `a ${kind} token belongs to ${bot ? 'a Bot (`<app-slug>[bot]`)' : 'a User'}, not ${name}`,
      );
    }
    this.tokenKind = kind;
    this.botLogin = name;
  }

  setFile(ref: string, path: string, text: string): void {
    const normalized = path.replace(/^\/+/, '');
    let tree = this.files.get(ref);
    if (!tree) {
      tree = new Map();
      this.files.set(ref, tree);
    }
    tree.set(normalized, text);
  }

  setRef(name: string, sha: string): void {
    this.refs.set(name, sha.toLowerCase());
  }

  setParents(sha: string, parents: string[]): void {
    this.parents.set(
      sha.toLowerCase(),
      parents.map((p) => p.toLowerCase()),
    );
  }

  setPullRequest(number: number, pr: FakePullRequestSeed): void {
    const state: PullRequestState = {
      ...pr,
      files: pr.files.map((f) => ({ ...f })),
      number,
      createdAt: this.pulls.get(number)?.createdAt ?? timestamp(),
    };
    this.pulls.set(number, state);
    this.issues.add(number);
    this.setRef(pr.headRef ?? `pr-${number}`, pr.headSha);
    if (!this.refs.has(pr.baseRef ?? DEFAULT_BRANCH)) this.setRef(pr.baseRef ?? DEFAULT_BRANCH, pr.baseSha);
  }

  deliver(eventName: string, payload: unknown): void {
    if (eventName !== 'pull_request' && eventName !== 'pull_request_target') return;
    const sent = (payload as { pull_request?: PullRequestPayload }).pull_request;
    const pr = sent && this.pulls.get(sent.number);
    if (!sent || !pr) return;
    const { number: _, createdAt: __, ...seed } = pr;
    this.setPullRequest(sent.number, {
      ...seed,
      headSha: sent.head.sha,
      state: sent.state === 'closed' ? 'closed' : 'open',
      merged: sent.merged === true,
    });
  }

  addComment(issue: number, body: string, login: string): FakeComment {
    this.issues.add(issue);
    return { ...this.createComment(issue, body, login) };
  }

  startRun(id: number): void {
    this.runs.set(id, { running: true });
  }

  endRun(id: number): void {
    this.runs.set(id, { running: false });
  }

  forgetRun(id: number): void {
    this.runs.delete(id);
  }

  allowActionsWrite(allowed: boolean): void {
    this.actionsWrite = allowed;
  }

  // ---- inspection ----------------------------------------------------------------------------

  comments(issue: number): FakeComment[] {
    return this.allComments.filter((c) => c.issue === issue).map((c) => ({ ...c }));
  }

  deployments(environment?: string): FakeDeployment[] {
    return this.allDeployments
      .filter((d) => environment === undefined || d.environment === environment)
      .map((d) => structuredClone(d));
  }

  commitStatuses(sha: string): FakeCommitStatus[] {
    return this.allStatuses.filter((s) => s.sha === sha.toLowerCase()).map((s) => ({ ...s }));
  }

  requestCount(method?: string, pathPattern?: PathPattern): number {
    return this.requests.filter(
      (r) =>
        methodMatches(method, r.method) &&
        (pathPattern === undefined || matches(pathPattern, r.path, r.template)),
    ).length;
  }

  writeCount(): number {
    return this.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD').length;
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  // ---- fault injection -----------------------------------------------------------------------

  failNext(
    method: string,
    pathPattern: PathPattern,
    status: number,
    count = 1,
    headers: Record<string, string> = {},
    body?: unknown,
  ): void {
    this.faults.push({
      method,
      pattern: pathPattern,
      status,
      remaining: count,
      headers: { ...headers },
      body,
    });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  rateLimitNext(method: string, pathPattern: PathPattern, kind: 'secondary' | 'primary', count = 1): void {
    if (kind === 'secondary') {
      this.failNext(method, pathPattern, 403, count, { 'retry-after': '1' });
    } else {
      this.failNext(method, pathPattern, 403, count, {
        'x-ratelimit-limit': String(RATE_LIMIT),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': String(RATE_LIMIT),
        'x-ratelimit-resource': 'core',
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 1),
      });
    }
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    let body: unknown;
    let bodyIsJson = true;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
        bodyIsJson = false;
      }
    }
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      body,
    };
    this.requests.push(record);
    this.served++;
    const where = `${method} ${path}${url.search}`;
    const violation = (text: string) => this.violations.push(`${where}: ${text}`);

    const routed = route(method, path);
    if (routed) {
      record.template = routed.operation.template;
      record.operationId = routed.operation.operationId;
    }
    let answer: Answer;
    try {
      answer = this.handle(req, method, path, url, raw, body, bodyIsJson, routed, violation);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      answer = error.answer;
    }
    record.status = answer.status;
    this.send(res, method, answer, routed?.operation, violation);
  }

  private handle(
    req: IncomingMessage,
    method: string,
    path: string,
    url: URL,
    raw: string,
    body: unknown,
    bodyIsJson: boolean,
    routed: ReturnType<typeof route>,
    violation: (text: string) => void,
  ): Answer {
    const docs = routed?.operation.documentationUrl ?? 'https://docs.github.com/rest';
    const fail = (status: number, message: string, extra: Record<string, unknown> = {}): never => {
      throw new HttpError({
        status,
        body: { message, documentation_url: docs, ...extra, status: String(status) },
      });
    };

    if (!req.headers['user-agent']) {
      violation('no User-Agent header (GitHub refuses such requests)');
      fail(
        403,
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
      );
    }
    const authorization = req.headers.authorization;
    if (!authorization) {
      violation('no Authorization header');
      fail(401, 'Requires authentication');
    } else if (!/^(token|bearer) \S+$/i.test(authorization.trim())) {
      violation(`Authorization header is neither "token X" nor "Bearer X"`);
      fail(401, 'Bad credentials');
    }
    if (path === GRAPHQL_PATH) return this.graphql(req, method, path, raw, body, bodyIsJson, violation, fail);
    if (!routed) {
      violation(
        'no such endpoint among the operations GitHub documents for model-gate (see openapi-subset.json)',
      );
      return fail(404, 'Not Found');
    }
    const { operation, params } = routed;
    const ofRepository = operation.pathNames.includes('owner');
    if (
      ofRepository &&
      (params.owner?.toLowerCase() !== this.owner.toLowerCase() ||
        params.repo?.toLowerCase() !== this.repo.toLowerCase())
    ) {
      violation(
        `repository ${params.owner}/${params.repo} is not ${this.owner}/${this.repo}, the one the fake serves`,
      );
      fail(404, 'Not Found');
    }
    const accept = req.headers.accept;
    if (accept && !/(\*\/\*|application\/json|application\/vnd\.github)/i.test(accept)) {
      violation(`unsupported Accept header ${JSON.stringify(accept)}`);
      fail(
        415,
        `Unsupported 'Accept' header: ${JSON.stringify(accept.split(','))}. Must accept 'application/json'.`,
      );
    }

    const fault = this.takeFault(method, path, operation.template, docs);
    if (fault) return fault;
    this.checkJsonBody(req, raw, bodyIsJson, violation, fail);
    const resource = resourceName(operation);
    const checked = checkParameters(operation, params, url.searchParams);
    if (checked.unknown.length > 0) {
      violation(
        `query parameters ${checked.unknown.join(', ')} are not parameters of ${operation.operationId}`,
      );
    }
    const errors: GitHubValidationError[] = [...checked.errors, ...checkBody(operation, body, resource)];
    if (errors.length > 0) {
      violation(
        `request does not match ${operation.operationId}: ${errors.map((e) => e.message).join('; ')}`,
      );
      fail(422, 'Validation Failed', { errors });
    }
    const invalid = (field: string, message: string, code = 'custom'): never => {
      violation(message);
      return fail(422, 'Validation Failed', { errors: [{ resource, code, field, message }] });
    };
    const values = checked.values;
    const json = (body ?? {}) as Record<string, unknown>;
    const listing = (items: unknown[]) => this.paginate(items, values, url);

    switch (operation.operationId) {
      case 'users/get-authenticated':
        if (this.tokenKind !== 'pat') fail(403, 'Resource not accessible by integration');
        return { status: 200, body: authenticatedUser(this.url, this.botLogin) };
      case 'pulls/get': {
        const pr = this.pulls.get(values.pull_number as number) ?? fail(404, 'Not Found');
        return { status: 200, body: this.pullRequestJson(pr) };
      }
      case 'pulls/list-files': {
        const pr = this.pulls.get(values.pull_number as number) ?? fail(404, 'Not Found');
        // Documented: "Responses include a maximum of 3000 files".
        return listing(pr.files.slice(0, LIST_FILES_MAX).map((f) => this.diffEntryJson(pr, f)));
      }
      case 'repos/compare-commits-with-basehead':
        return this.compare(params.basehead ?? '', values, invalid, fail);
      case 'repos/get-content':
        return this.contents(
          params.path ?? '',
          (values.ref as string | undefined) ?? DEFAULT_BRANCH,
          req.headers.accept,
          fail,
        );
      case 'issues/list-comments': {
        const issue = values.issue_number as number;
        if (!this.issues.has(issue)) fail(404, 'Not Found');
        const since = values.since as string | undefined;
        return listing(
          this.allComments
            .filter(
              (c) => c.issue === issue && (since === undefined || c.updatedAt >= timestamp(new Date(since))),
            )
            .map((c) => this.commentJson(c)),
        );
      }
      case 'issues/create-comment': {
        const issue = values.issue_number as number;
        if (!this.issues.has(issue)) fail(404, 'Not Found');
        const text = json.body as string;
        this.checkCommentBody(text, invalid);
        const comment = this.createComment(issue, text, this.botLogin);
        const out = this.commentJson(comment);
        return { status: 201, body: out, headers: { location: out.url as string } };
      }
      case 'issues/get-comment': {
        const comment = this.allComments.find((c) => c.id === values.comment_id) ?? fail(404, 'Not Found');
        return { status: 200, body: this.commentJson(comment) };
      }
      case 'issues/delete-comment': {
        const index = this.allComments.findIndex((c) => c.id === values.comment_id);
        if (index < 0) fail(404, 'Not Found');
        this.allComments.splice(index, 1);
        return { status: 204 };
      }
      case 'issues/update-comment': {
        const comment = this.allComments.find((c) => c.id === values.comment_id) ?? fail(404, 'Not Found');
        const text = json.body as string;
        this.checkCommentBody(text, invalid);
        comment.body = text;
        comment.updatedAt = timestamp();
        return { status: 200, body: this.commentJson(comment) };
      }
      case 'repos/list-deployments': {
        const filters = ['sha', 'ref', 'task', 'environment'] as const;
        const matching = this.allDeployments.filter((d) =>
          filters.every((name) => {
            const wanted = values[name];
            if (wanted === undefined || wanted === 'none') return true;
            return name === 'sha' ? d.sha === String(wanted).toLowerCase() : d[name] === wanted;
          }),
        );
        return listing(matching.toReversed().map((d) => this.deploymentJson(d)));
      }
      case 'repos/create-deployment':
        return this.createDeployment(json, docs, fail);
      case 'repos/delete-deployment': {
        const index = this.allDeployments.findIndex((d) => d.id === values.deployment_id);
        if (index < 0) fail(404, 'Not Found');
        const deployment = this.allDeployments[index] as FakeDeployment;
        // "If the repository has more than one deployment, you can only delete inactive deployments."
        if (deployment.statuses.at(-1)?.state !== 'inactive' && this.allDeployments.length > 1)
          fail(
            422,
            'We cannot delete an active deployment unless it is the only deployment in a given environment.',
          );
        this.allDeployments.splice(index, 1);
        return { status: 204 };
      }
      case 'actions/re-run-workflow': {
        const run = this.runs.get(values.run_id as number) ?? fail(404, 'Not Found');
        if (this.tokenKind === 'github-actions' && !this.actionsWrite)
          fail(403, 'Resource not accessible by integration');
        if (run.running) fail(403, 'This workflow is already running');
        this.reruns.push(values.run_id as number);
        run.running = true;
        return { status: 201, body: {} };
      }
      case 'repos/list-deployment-statuses': {
        const deployment =
          this.allDeployments.find((d) => d.id === values.deployment_id) ?? fail(404, 'Not Found');
        return listing(deployment.statuses.toReversed().map((s) => this.deploymentStatusJson(deployment, s)));
      }
      case 'repos/create-deployment-status':
        return this.createDeploymentStatus(values.deployment_id as number, json, invalid, fail);
      case 'repos/create-commit-status': {
        const sha = (params.sha ?? '').toLowerCase();
        if (!SHA.test(sha) && !this.knownShas().has(sha)) fail(422, `No commit found for SHA: ${params.sha}`);
        const description = (json.description as string | null | undefined) ?? null;
        if (description !== null && description.length > MAX_STATUS_DESCRIPTION) {
          invalid('description', `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`);
        }
        const status: FakeCommitStatus = {
          id: this.id(),
          sha,
          state: json.state as CommitState,
          context: (json.context as string | undefined) ?? 'default',
          description,
          targetUrl: (json.target_url as string | null | undefined) ?? null,
          creator: this.botLogin,
          createdAt: timestamp(),
        };
        this.allStatuses.push(status);
        const out = this.commitStatusJson(status);
        return { status: 201, body: out, headers: { location: out.url as string } };
      }
      case 'repos/list-commit-statuses-for-ref': {
        const ref = params.ref ?? '';
        const sha = this.resolveSha(ref) ?? fail(404, `No commit found for SHA: ${ref}`);
        return listing(
          this.allStatuses
            .filter((s) => s.sha === sha)
            .toReversed()
            .map((s) => this.commitStatusJson(s)),
        );
      }
      default:
        violation(`the fake has no behaviour for ${operation.operationId}`);
        return fail(404, 'Not Found');
    }
  }

  private send(
    res: ServerResponse,
    method: string,
    answer: Answer,
    operation: Operation | undefined,
    violation: (text: string) => void,
  ): void {
    const headers: Record<string, string> = {
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-remaining': String(Math.max(0, RATE_LIMIT - this.served)),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-used': String(Math.min(RATE_LIMIT, this.served)),
      'x-ratelimit-resource': 'core',
      ...answer.headers,
    };
    let payload = '';
    if (answer.text !== undefined) {
      headers['content-type'] = 'text/plain; charset=utf-8';
      payload = answer.text;
    } else if (answer.body !== undefined) {
      headers['content-type'] = 'application/json; charset=utf-8';
      payload = JSON.stringify(answer.body);
      if (operation) {
        const { problems } = checkResponse(operation, answer.status, answer.body);
        if (problems.length > 0) {
          violation(
            `the fake's ${answer.status} answer does not match ${operation.operationId}: ${problems.slice(0, 5).join('; ')}`,
          );
        }
      }
    }
    headers['content-length'] = String(Buffer.byteLength(payload));
    res.writeHead(answer.status, headers);
    res.end(method === 'HEAD' ? undefined : payload);
  }

  /** The answer of the first fault injected for this request, if any (it is then used up). */
  private takeFault(
    method: string,
    path: string,
    template: string | undefined,
    docs: string,
  ): Answer | undefined {
    const fault = this.faults.find(
      (f) => f.remaining > 0 && methodMatches(f.method, method) && matches(f.pattern, path, template),
    );
    if (!fault) return undefined;
    fault.remaining--;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return { status: fault.status, headers: fault.headers, body: fault.body ?? this.faultBody(fault, docs) };
  }

  /** A body GitHub reads: JSON, sent as JSON. */
  private checkJsonBody(
    req: IncomingMessage,
    raw: string,
    bodyIsJson: boolean,
    violation: (text: string) => void,
    fail: (status: number, message: string) => never,
  ): void {
    if (raw.length === 0) return;
    const contentType = req.headers['content-type'] ?? '';
    if (!/^application\/(vnd\.github[^;]*\+)?json\b/i.test(contentType)) {
      violation(`body sent with Content-Type ${JSON.stringify(contentType)}, not application/json`);
      fail(415, 'Unsupported Media Type');
    }
    if (!bodyIsJson) {
      violation('body is not JSON');
      fail(400, 'Problems parsing JSON');
    }
  }

  /**
   * GitHub's GraphQL API: checked as a REST request is (headers, faults, a JSON body), then the
   * `viewer` query answered for the token's account, any other query refused (graphql.ts).
   */
  private graphql(
    req: IncomingMessage,
    method: string,
    path: string,
    raw: string,
    body: unknown,
    bodyIsJson: boolean,
    violation: (text: string) => void,
    fail: (status: number, message: string) => never,
  ): Answer {
    if (method !== 'POST') {
      violation(`GraphQL is served to POST, not ${method}`);
      fail(404, 'Not Found');
    }
    const fault = this.takeFault(method, path, undefined, GRAPHQL_DOCS);
    if (fault) return fault;
    this.checkJsonBody(req, raw, bodyIsJson, violation, fail);
    const databaseId = user(this.url, this.botLogin).id as number;
    const answer = answerGraphQL(body, { login: this.botLogin, databaseId }, violation);
    return { ...answer, headers: { 'x-ratelimit-resource': 'graphql' } };
  }

  private faultBody(fault: Fault, docs: string): unknown {
    const lower = Object.fromEntries(Object.entries(fault.headers).map(([k, v]) => [k.toLowerCase(), v]));
    if ((fault.status === 403 || fault.status === 429) && lower['retry-after'] !== undefined) {
      return {
        message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${randomBytes(8).toString('hex').toUpperCase()}.`,
        documentation_url: SECONDARY_RATE_LIMIT_DOCS,
        status: String(fault.status),
      };
    }
    if ((fault.status === 403 || fault.status === 429) && lower['x-ratelimit-remaining'] === '0') {
      return {
        message: 'API rate limit exceeded for installation ID 12345678.',
        documentation_url: PRIMARY_RATE_LIMIT_DOCS,
        status: String(fault.status),
      };
    }
    const reason =
      fault.status >= 500 && fault.status !== 503 ? 'Server Error' : (STATUS_CODES[fault.status] ?? 'Error');
    return { message: reason, documentation_url: docs, status: String(fault.status) };
  }

  // ---- behaviour -----------------------------------------------------------------------------

  private id(): number {
    return this.nextId++;
  }

  private get api(): string {
    return `${this.url}/repos/${this.owner}/${this.repo}`;
  }

  /** Git's three-dot comparison of `BASE...HEAD` (refs of this repository; no other fork's). */
  private compare(
    basehead: string,
    values: Record<string, unknown>,
    invalid: (field: string, message: string) => never,
    fail: (status: number, message: string) => never,
  ): Answer {
    const [baseRef, headRef, ...rest] = decodeURIComponent(basehead).split('...');
    if (!baseRef || !headRef || rest.length > 0)
      invalid('basehead', `basehead ${JSON.stringify(basehead)} is not BASE...HEAD`);
    // A ref GitHub does not have (a deleted branch, a SHA it never saw) is 404.
    const base = this.resolveKnown(baseRef as string) ?? fail(404, 'Not Found');
    const head = this.resolveKnown(headRef as string) ?? fail(404, 'Not Found');
    const found = comparison(this.parents, base, head);
    const fullName = `${this.owner}/${this.repo}`;
    const api = `${this.url}/repos/${fullName}`;
    const perPage = Math.min(100, (values.per_page as number | undefined) ?? 250);
    const page = Math.max(1, (values.page as number | undefined) ?? 1);
    const commit = (sha: string) => commitJson(this.url, fullName, this.parents, sha);
    return {
      status: 200,
      body: {
        url: `${api}/compare/${basehead}`,
        html_url: `${HTML}/${fullName}/compare/${basehead}`,
        permalink_url: `${HTML}/${fullName}/compare/${this.owner}:${base}...${this.owner}:${head}`,
        diff_url: `${HTML}/${fullName}/compare/${basehead}.diff`,
        patch_url: `${HTML}/${fullName}/compare/${basehead}.patch`,
        base_commit: commit(base),
        merge_base_commit: commit(found.mergeBase),
        status: found.status,
        ahead_by: found.aheadBy,
        behind_by: found.behindBy,
        total_commits: found.aheadBy,
        commits: found.commits.slice((page - 1) * perPage, page * perPage).map(commit),
      },
    };
  }

  /** A ref's commit SHA, only if the fake has heard of that commit (a branch, a PR, a file, a parent). */
  private resolveKnown(ref: string): string | undefined {
    const sha = this.resolveSha(ref);
    return sha && this.knownShas().has(sha) ? sha : undefined;
  }

  private knownShas(): Set<string> {
    const shas = new Set(this.refs.values());
    for (const pr of this.pulls.values()) {
      shas.add(pr.baseSha.toLowerCase());
      shas.add(pr.headSha.toLowerCase());
    }
    for (const ref of this.files.keys()) if (SHA.test(ref)) shas.add(ref.toLowerCase());
    for (const [sha, parents] of this.parents) for (const known of [sha, ...parents]) shas.add(known);
    return shas;
  }

  /** The commit SHA a ref (SHA, branch or tag, with or without refs/heads/ or heads/) names, if known. */
  private resolveSha(ref: string): string | undefined {
    const name = ref.replace(/^refs\//, '').replace(/^(heads|tags)\//, '');
    const named = this.refs.get(name) ?? this.refs.get(ref);
    if (named) return named;
    if (SHA.test(ref)) return ref.toLowerCase();
    if (this.knownShas().has(ref.toLowerCase())) return ref.toLowerCase();
    return undefined;
  }

  private paginate(items: unknown[], values: Record<string, unknown>, url: URL): Answer {
    const requested = values.per_page as number | undefined;
    const perPage = requested === undefined || requested < 1 ? 30 : Math.min(100, requested);
    const page = Math.max(1, (values.page as number | undefined) ?? 1);
    const lastPage = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    if (lastPage > 1) {
      const link = (n: number, rel: string) => {
        const target = new URL(`${this.url}${url.pathname}`);
        for (const [key, value] of url.searchParams)
          if (key !== 'page') target.searchParams.append(key, value);
        target.searchParams.set('page', String(n));
        return `<${target.href}>; rel="${rel}"`;
      };
      const links: string[] = [];
      if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'));
      if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
      if (page > 1) links.push(link(1, 'first'));
      headers.link = links.join(', ');
    }
    return { status: 200, body: items.slice((page - 1) * perPage, page * perPage), headers };
  }

  private checkCommentBody(
    text: string,
    invalid: (field: string, message: string, code?: string) => never,
  ): void {
    if (text.trim() === '') invalid('body', 'body cannot be blank', 'missing_field');
    if (text.length > MAX_COMMENT) invalid('body', `body is too long (maximum is ${MAX_COMMENT} characters)`);
  }

  private createComment(issue: number, body: string, login: string): FakeComment {
    const id = this.id();
    const now = timestamp();
    const kind = this.pulls.has(issue) ? 'pull' : 'issues';
    const comment: FakeComment = {
      id,
      issue,
      body,
      user: login,
      userType: login.endsWith('[bot]') ? 'Bot' : 'User',
      createdAt: now,
      updatedAt: now,
      htmlUrl: `${HTML}/${this.owner}/${this.repo}/${kind}/${issue}#issuecomment-${id}`,
    };
    this.allComments.push(comment);
    return comment;
  }

  private association(login: string): string {
    if (login.toLowerCase() === this.owner.toLowerCase()) return 'OWNER';
    return login.endsWith('[bot]') ? 'NONE' : 'CONTRIBUTOR';
  }

  private commentJson(c: FakeComment): Record<string, unknown> {
    return {
      url: `${this.api}/issues/comments/${c.id}`,
      html_url: c.htmlUrl,
      issue_url: `${this.api}/issues/${c.issue}`,
      id: c.id,
      node_id: nodeId('IC', c.id),
      user: user(this.url, c.user, c.userType),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      author_association: this.association(c.user),
      body: c.body,
      reactions: {
        url: `${this.api}/issues/comments/${c.id}/reactions`,
        total_count: 0,
        '+1': 0,
        '-1': 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
      performed_via_github_app: null,
    };
  }

  private pullRequestJson(pr: PullRequestState): Record<string, unknown> {
    const url = `${this.api}/pulls/${pr.number}`;
    const html = `${HTML}/${this.owner}/${this.repo}/pull/${pr.number}`;
    const fullName = `${this.owner}/${this.repo}`;
    const headFullName = pr.headRepoFullName ?? fullName;
    const headOwner = headFullName.split('/')[0] ?? this.owner;
    const author = pr.user ?? 'octocat';
    const merged = pr.merged === true;
    const closed = merged || pr.state === 'closed';
    const closedAt = closed ? timestamp() : null;
    const headRef = pr.headRef ?? `pr-${pr.number}`;
    const baseRef = pr.baseRef ?? DEFAULT_BRANCH;
    const id = 1_000_000_000 + pr.number;
    const sum = (key: 'additions' | 'deletions') => pr.files.reduce((n, f) => n + (f[key] ?? 1), 0);
    const ownerJson = user(this.url, this.owner);
    const labels = (pr.labels ?? []).map((name) => {
      const labelId = 5_000_000_000 + Number.parseInt(blobSha(name).slice(0, 8), 16);
      return {
        id: labelId,
        node_id: nodeId('LA', labelId),
        url: `${this.api}/labels/${encodeURIComponent(name)}`,
        name,
        description: null,
        color: 'ededed',
        default: false,
      };
    });
    const link = (href: string) => ({ href });
    return {
      url,
      id,
      node_id: nodeId('PR', id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${this.api}/issues/${pr.number}`,
      number: pr.number,
      state: closed ? 'closed' : 'open',
      locked: false,
      title: pr.title ?? `Pull request #${pr.number}`,
      user: user(this.url, author),
      body: pr.body === undefined ? null : pr.body,
      created_at: pr.createdAt,
      updated_at: timestamp(),
      closed_at: closedAt,
      merged_at: merged ? closedAt : null,
      merge_commit_sha: merged ? blobSha(`${pr.baseSha}${pr.headSha}`) : null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      labels,
      milestone: null,
      draft: pr.draft === true,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${this.api}/pulls/comments{/number}`,
      comments_url: `${this.api}/issues/${pr.number}/comments`,
      statuses_url: `${this.api}/statuses/${pr.headSha}`,
      head: {
        label: `${headOwner}:${headRef}`,
        ref: headRef,
        sha: pr.headSha,
        user: user(this.url, headOwner),
        repo: repository(this.url, headFullName, {
          fork: headFullName.toLowerCase() !== fullName.toLowerCase(),
        }),
      },
      base: {
        label: `${this.owner}:${baseRef}`,
        ref: baseRef,
        sha: pr.baseSha,
        user: ownerJson,
        repo: repository(this.url, fullName),
      },
      _links: {
        self: link(url),
        html: link(html),
        issue: link(`${this.api}/issues/${pr.number}`),
        comments: link(`${this.api}/issues/${pr.number}/comments`),
        review_comments: link(`${url}/comments`),
        review_comment: link(`${this.api}/pulls/comments{/number}`),
        commits: link(`${url}/commits`),
        statuses: link(`${this.api}/statuses/${pr.headSha}`),
      },
      author_association: this.association(author),
      auto_merge: null,
      active_lock_reason: null,
      merged,
      mergeable: closed ? null : true,
      rebaseable: closed ? null : true,
      mergeable_state: closed ? 'unknown' : 'clean',
      merged_by: merged ? ownerJson : null,
      comments: this.allComments.filter((c) => c.issue === pr.number).length,
      review_comments: 0,
      maintainer_can_modify: false,
      commits: 1,
      additions: sum('additions'),
      deletions: sum('deletions'),
      changed_files: pr.files.length,
    };
  }

  private diffEntryJson(pr: PullRequestState, f: FakePullRequestFile): Record<string, unknown> {
    const additions = f.additions ?? (f.status === 'removed' ? 0 : 1);
    const deletions = f.deletions ?? (f.status === 'added' ? 0 : f.status === 'removed' ? 1 : 0);
    const encoded = f.filename.split('/').map(encodeURIComponent).join('/');
    const entry: Record<string, unknown> = {
      sha: blobSha(`${pr.headSha}:${f.filename}`),
      filename: f.filename,
      status: f.status,
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `${HTML}/${this.owner}/${this.repo}/blob/${pr.headSha}/${encoded}`,
      raw_url: `${HTML}/${this.owner}/${this.repo}/raw/${pr.headSha}/${encoded}`,
      contents_url: `${this.api}/contents/${encoded}?ref=${pr.headSha}`,
    };
    if (f.patch !== undefined) entry.patch = f.patch;
    if (f.previous_filename !== undefined) entry.previous_filename = f.previous_filename;
    return entry;
  }

  private contents(
    path: string,
    ref: string,
    accept: string | undefined,
    fail: (status: number, message: string) => never,
  ): Answer {
    const sha = this.resolveSha(ref);
    const keys = [
      ref,
      ...(sha ? [sha] : []),
      ...[...this.refs].filter(([, s]) => s === sha).map(([name]) => name),
    ];
    const trees = keys.map((k) => this.files.get(k)).filter((t): t is Map<string, string> => t !== undefined);
    if (trees.length === 0 && sha === undefined) fail(404, `No commit found for the ref ${ref}`);
    const wanted = path.replace(/^\/+|\/+$/g, '');
    const urls = (p: string, type: 'file' | 'dir') => {
      const encoded = p.split('/').map(encodeURIComponent).join('/');
      const self = `${this.api}/contents/${encoded}?ref=${encodeURIComponent(ref)}`;
      const gitSha = blobSha(`${type}:${ref}:${p}`);
      const git = `${this.api}/git/${type === 'file' ? 'blobs' : 'trees'}/${gitSha}`;
      const html = `${HTML}/${this.owner}/${this.repo}/${type === 'file' ? 'blob' : 'tree'}/${ref}/${encoded}`;
      return { url: self, git_url: git, html_url: html, _links: { self, git, html } };
    };
    for (const tree of trees) {
      const text = tree.get(wanted);
      if (text === undefined) continue;
      if (accept && /application\/vnd\.github(\.v3)?\.raw/i.test(accept)) return { status: 200, text };
      const size = Buffer.byteLength(text);
      // Documented: a file of 1-100 MB comes with content "" and encoding "none"; the raw media type serves it.
      const inline = size <= CONTENTS_INLINE_MAX;
      return {
        status: 200,
        body: {
          type: 'file',
          encoding: inline ? 'base64' : 'none',
          size,
          name: wanted.split('/').pop() ?? wanted,
          path: wanted,
          content: inline
            ? `${Buffer.from(text).toString('base64').replace(/.{60}/g, '$&\n')}\n`.replace(/\n\n$/, '\n')
            : '',
          ...urls(wanted, 'file'),
          sha: blobSha(text),
          download_url: `https://raw.githubusercontent.com/${this.owner}/${this.repo}/${ref}/${wanted}`,
        },
      };
    }
    const prefix = wanted === '' ? '' : `${wanted}/`;
    const entries = new Map<string, Record<string, unknown>>();
    for (const tree of trees) {
      for (const [file, text] of tree) {
        if (!file.startsWith(prefix)) continue;
        const [name = '', ...rest] = file.slice(prefix.length).split('/');
        const entryPath = prefix + name;
        if (entries.has(entryPath)) continue;
        const isDir = rest.length > 0;
        entries.set(entryPath, {
          type: isDir ? 'dir' : 'file',
          size: isDir ? 0 : Buffer.byteLength(text),
          name,
          path: entryPath,
          ...urls(entryPath, isDir ? 'dir' : 'file'),
          sha: isDir ? blobSha(`dir:${ref}:${entryPath}`) : blobSha(text),
          download_url: isDir
            ? null
            : `https://raw.githubusercontent.com/${this.owner}/${this.repo}/${ref}/${entryPath}`,
        });
      }
    }
    if (entries.size === 0) fail(404, 'Not Found');
    return {
      status: 200,
      body: [...entries.values()].sort((a, b) => String(a.name).localeCompare(String(b.name))),
    };
  }

  private createDeployment(
    json: Record<string, unknown>,
    docs: string,
    fail: (status: number, message: string, extra?: Record<string, unknown>) => never,
  ): Answer {
    const ref = json.ref as string;
    const sha = this.resolveSha(ref) ?? fail(422, `No ref found for: ${ref}`);
    const required = json.required_contexts as string[] | undefined;
    const latest = new Map<string, CommitState>();
    for (const s of this.allStatuses) if (s.sha === sha) latest.set(s.context, s.state);
    const contexts = required ?? [...latest.keys()];
    const failing = contexts.filter((c) => latest.get(c) !== 'success');
    if (failing.length > 0) {
      throw new HttpError({
        status: 409,
        body: {
          message: `Conflict: Commit status checks failed for ${ref}.`,
          errors: [
            {
              contexts: failing.map((context) => ({ context, state: latest.get(context) ?? 'missing' })),
              resource: 'Deployment',
              field: 'required_contexts',
              code: 'invalid',
            },
          ],
          documentation_url: docs,
          status: '409',
        },
      });
    }
    const environment = (json.environment as string | undefined) ?? 'production';
    const deployment: FakeDeployment = {
      id: this.id(),
      ref,
      sha,
      task: (json.task as string | undefined) ?? 'deploy',
      environment,
      originalEnvironment: environment,
      payload: json.payload === undefined ? {} : structuredClone(json.payload),
      description: json.description === undefined ? '' : (json.description as string | null),
      autoMerge: (json.auto_merge as boolean | undefined) ?? true,
      requiredContexts: required === undefined ? undefined : [...required],
      transientEnvironment: (json.transient_environment as boolean | undefined) ?? false,
      productionEnvironment:
        (json.production_environment as boolean | undefined) ?? environment === 'production',
      creator: this.botLogin,
      createdAt: timestamp(),
      statuses: [],
    };
    this.allDeployments.push(deployment);
    return { status: 201, body: this.deploymentJson(deployment) };
  }

  private deploymentJson(d: FakeDeployment): Record<string, unknown> {
    const url = `${this.api}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: nodeId('DE', d.id),
      sha: d.sha,
      ref: d.ref,
      task: d.task,
      payload: structuredClone(d.payload),
      original_environment: d.originalEnvironment,
      environment: d.environment,
      description: d.description,
      creator: user(this.url, d.creator),
      created_at: d.createdAt,
      updated_at: d.statuses.at(-1)?.createdAt ?? d.createdAt,
      statuses_url: `${url}/statuses`,
      repository_url: this.api,
      transient_environment: d.transientEnvironment,
      production_environment: d.productionEnvironment,
      performed_via_github_app: null,
    };
  }

  private createDeploymentStatus(
    deploymentId: number,
    json: Record<string, unknown>,
    invalid: (field: string, message: string) => never,
    fail: (status: number, message: string) => never,
  ): Answer {
    const deployment = this.allDeployments.find((d) => d.id === deploymentId) ?? fail(404, 'Not Found');
    const description = (json.description as string | undefined) ?? '';
    if (description.length > MAX_STATUS_DESCRIPTION) {
      invalid('description', `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`);
    }
    if (typeof json.environment === 'string' && json.environment !== '')
      deployment.environment = json.environment;
    const target = (json.log_url as string | undefined) ?? (json.target_url as string | undefined) ?? '';
    const status: FakeDeploymentStatus = {
      id: this.id(),
      deploymentId,
      state: json.state as DeploymentState,
      description,
      environment: deployment.environment,
      targetUrl: target,
      logUrl: target,
      environmentUrl: (json.environment_url as string | undefined) ?? '',
      autoInactive: (json.auto_inactive as boolean | undefined) ?? true,
      automatic: false,
      creator: this.botLogin,
      createdAt: timestamp(),
    };
    deployment.statuses.push(status);
    // Documented (auto_inactive): a new `success` status adds an `inactive` status to all prior
    // non-transient, non-production deployments of the same environment whose state was `success`.
    if (status.state === 'success' && status.autoInactive) {
      for (const prior of this.allDeployments) {
        if (
          prior.id < deployment.id &&
          prior.environment === deployment.environment &&
          !prior.transientEnvironment &&
          !prior.productionEnvironment &&
          prior.statuses.at(-1)?.state === 'success'
        ) {
          prior.statuses.push({
            ...status,
            id: this.id(),
            deploymentId: prior.id,
            state: 'inactive',
            description: '',
            environment: prior.environment,
            targetUrl: '',
            logUrl: '',
            environmentUrl: '',
            autoInactive: false,
            automatic: true,
          });
        }
      }
    }
    const out = this.deploymentStatusJson(deployment, status);
    return { status: 201, body: out, headers: { location: out.url as string } };
  }

  private deploymentStatusJson(d: FakeDeployment, s: FakeDeploymentStatus): Record<string, unknown> {
    const deploymentUrl = `${this.api}/deployments/${d.id}`;
    return {
      url: `${deploymentUrl}/statuses/${s.id}`,
      id: s.id,
      node_id: nodeId('DES', s.id),
      state: s.state,
      creator: user(this.url, s.creator),
      description: s.description,
      environment: s.environment,
      target_url: s.targetUrl,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      deployment_url: deploymentUrl,
      repository_url: this.api,
      environment_url: s.environmentUrl,
      log_url: s.logUrl,
      performed_via_github_app: null,
    };
  }

  private commitStatusJson(s: FakeCommitStatus): Record<string, unknown> {
    const creator = user(this.url, s.creator);
    return {
      url: `${this.api}/statuses/${s.sha}`,
      avatar_url: creator.avatar_url,
      id: s.id,
      node_id: nodeId('SC', s.id),
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.createdAt,
      creator,
    };
  }
}

function resourceName(operation: Operation): string {
  if (operation.operationId.includes('comment')) return 'IssueComment';
  if (operation.operationId.includes('deployment-status')) return 'DeploymentStatus';
  if (operation.operationId.includes('deployment')) return 'Deployment';
  if (operation.operationId.includes('status')) return 'Status';
  return 'Repository';
}
