import type { FileReader } from '../version/changed-models.js';
import type { GitHubClient } from './client.js';

export interface Repo {
  owner: string;
  repo: string;
}

/** Files at any commit through the contents API: the checkout may be shallow or absent. */
export function contentsReader(client: GitHubClient, repo: Repo): FileReader {
  return {
    async read(ref, path) {
      try {
        const res = await client.rest.repos.getContent({ ...repo, path, ref });
        const data = res.data as { type?: string; content?: string; encoding?: string };
        if (data.type !== 'file' || typeof data.content !== 'string') return undefined;
        return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
      } catch (err) {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }
    },
  };
}

/** Every file the PR changes (paginated; GitHub lists at most 3000). */
export async function changedFiles(client: GitHubClient, repo: Repo, pull: number): Promise<Set<string>> {
  const files = await client.paginate(client.rest.pulls.listFiles, {
    ...repo,
    pull_number: pull,
    per_page: 100,
  });
  return new Set(
    files.flatMap((f) => (f.previous_filename ? [f.filename, f.previous_filename] : [f.filename])),
  );
}
