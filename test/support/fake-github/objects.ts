// Builders of the JSON objects GitHub's REST API answers with, shaped like GitHub's (users, the
// authenticated user, repositories, pull requests, contents, comments, deployments, statuses) so
// that they validate against the OpenAPI description.
import { createHash } from 'node:crypto';

export const HTML = 'https://github.com';

/** GitHub's timestamps: ISO 8601, UTC, whole seconds. */
export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function hashNumber(text: string, range: number): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) % range;
}

/** A global node id like GitHub's (`PREFIX_kwDO…`). */
export function nodeId(prefix: string, id: number): string {
  return `${prefix}_kwDO${Buffer.from(`${prefix}:${id}`).toString('base64url')}`;
}

/** Git's blob id of a text. */
export function blobSha(text: string): string {
  const content = Buffer.from(text, 'utf8');
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]))
    .digest('hex');
}

const GITHUB_ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282, app: 15368 };

export type UserType = 'User' | 'Bot' | 'Organization';

/** A `simple-user`. A login ending in `[bot]` is a Bot (`github-actions[bot]` has its real ids). */
export function user(api: string, login: string, type?: UserType): Record<string, unknown> {
  const isBot = type === 'Bot' || (type === undefined && login.endsWith('[bot]'));
  const kind: UserType = isBot ? 'Bot' : (type ?? 'User');
  const known = login === GITHUB_ACTIONS_BOT.login;
  const id = known ? GITHUB_ACTIONS_BOT.id : 1_000_000 + hashNumber(login, 90_000_000);
  const path = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: Buffer.from(
      `${kind === 'Bot' ? '03:Bot' : kind === 'Organization' ? '012:Organization' : '04:User'}${id}`,
    ).toString('base64'),
    avatar_url:
      kind === 'Bot'
        ? `https://avatars.githubusercontent.com/in/${known ? GITHUB_ACTIONS_BOT.app : id}?v=4`
        : `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: path,
    html_url:
      kind === 'Bot'
        ? `${HTML}/apps/${encodeURIComponent(login.replace(/\[bot\]$/, ''))}`
        : `${HTML}/${login}`,
    followers_url: `${path}/followers`,
    following_url: `${path}/following{/other_user}`,
    gists_url: `${path}/gists{/gist_id}`,
    starred_url: `${path}/starred{/owner}{/repo}`,
    subscriptions_url: `${path}/subscriptions`,
    organizations_url: `${path}/orgs`,
    repos_url: `${path}/repos`,
    events_url: `${path}/events{/privacy}`,
    received_events_url: `${path}/received_events`,
    type: kind,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** A `private-user`: what `GET /user` answers a personal access token with (its owner's own profile). */
export function authenticatedUser(api: string, login: string): Record<string, unknown> {
  const created = '2020-04-05T06:07:08Z';
  return {
    ...user(api, login, 'User'),
    user_view_type: 'private',
    name: login,
    company: null,
    blog: '',
    location: null,
    email: null,
    notification_email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 3,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: created,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 1024,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976_562_499, collaborators: 0, private_repos: 10_000 },
  };
}

/** A `repository` (full_name `owner/name`). */
export function repository(
  api: string,
  fullName: string,
  opts: { fork?: boolean } = {},
): Record<string, unknown> {
  const [ownerLogin = '', name = ''] = fullName.split('/');
  const id = 100_000_000 + hashNumber(fullName.toLowerCase(), 800_000_000);
  const url = `${api}/repos/${fullName}`;
  const created = '2024-01-02T03:04:05Z';
  return {
    id,
    node_id: nodeId('R', id),
    name,
    full_name: fullName,
    owner: user(api, ownerLogin),
    private: false,
    html_url: `${HTML}/${fullName}`,
    description: null,
    fork: opts.fork === true,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.com/${fullName}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${HTML}/${fullName}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: `${HTML}/${fullName}`,
    homepage: null,
    language: 'Python',
    forks_count: 0,
    forks: 0,
    stargazers_count: 0,
    watchers_count: 0,
    watchers: 0,
    size: 128,
    default_branch: 'main',
    open_issues_count: 1,
    open_issues: 1,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'public',
    pushed_at: created,
    created_at: created,
    updated_at: created,
    allow_forking: true,
    web_commit_signoff_required: false,
    license: null,
  };
}
