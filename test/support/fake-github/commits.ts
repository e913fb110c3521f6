// The commit graph the fake GitHub knows, as far as the compare operation needs it: parents per
// commit, seeded by tests (setParents). A pair of commits whose histories the seeds never join is
// answered as before there was a graph: the base is where the head branched from.
import { HTML, nodeId } from './objects.js';

/** Parent SHAs by commit SHA (lower case). */
export type Parents = Map<string, string[]>;

/** `sha` and every commit before it the seeds know, nearest first (breadth first). */
function history(parents: Parents, sha: string): string[] {
  const seen = [sha];
  for (let i = 0; i < seen.length; i++) {
    for (const parent of parents.get(seen[i] as string) ?? []) if (!seen.includes(parent)) seen.push(parent);
  }
  return seen;
}

/** What `GET compare/{base}...{head}` says of two commits: git's three-dot comparison. */
export function comparison(parents: Parents, base: string, head: string) {
  const before = history(parents, base);
  const after = history(parents, head);
  const mergeBase = after.find((sha) => before.includes(sha)) ?? base;
  const mergeBaseHistory = history(parents, mergeBase);
  // Without a seeded join, the head is taken for one commit on top of the base.
  const ahead = after.includes(mergeBase)
    ? after.filter((sha) => !mergeBaseHistory.includes(sha))
    : head === base
      ? []
      : [head];
  const behind = before.filter((sha) => !mergeBaseHistory.includes(sha)).length;
  const status =
    ahead.length === 0 && behind === 0
      ? 'identical'
      : behind === 0
        ? 'ahead'
        : ahead.length === 0
          ? 'behind'
          : 'diverged';
  // GitHub lists the commits oldest first.
  return { mergeBase, status, aheadBy: ahead.length, behindBy: behind, commits: ahead.toReversed() };
}

/** A `commit` as the compare operation answers it (no GitHub account behind its author). */
export function commitJson(api: string, fullName: string, parents: Parents, sha: string) {
  const url = `${api}/repos/${fullName}/commits/${sha}`;
  const person = { name: 'Mona Lisa', email: 'mona@example.com', date: '2024-01-02T03:04:05Z' };
  return {
    url,
    sha,
    node_id: nodeId('C', Number.parseInt(sha.slice(0, 7), 16)),
    html_url: `${HTML}/${fullName}/commit/${sha}`,
    comments_url: `${url}/comments`,
    commit: {
      url: `${api}/repos/${fullName}/git/commits/${sha}`,
      author: person,
      committer: person,
      message: `commit ${sha.slice(0, 7)}`,
      comment_count: 0,
      tree: { sha, url: `${api}/repos/${fullName}/git/trees/${sha}` },
    },
    author: null,
    committer: null,
    parents: (parents.get(sha) ?? []).map((p) => ({
      sha: p,
      url: `${api}/repos/${fullName}/commits/${p}`,
      html_url: `${HTML}/${fullName}/commit/${p}`,
    })),
  };
}
