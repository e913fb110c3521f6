import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git repository in a temp folder, where each commit is a set of file contents. */
export class GitRepo {
  private constructor(readonly dir: string) {}

  static async create(): Promise<GitRepo> {
    const dir = await mkdtemp(join(tmpdir(), 'model-gate-repo-'));
    const repo = new GitRepo(dir);
    repo.git('init', '-q', '-b', 'main');
    repo.git('config', 'user.email', 'ci@example.com');
    repo.git('config', 'user.name', 'CI');
    return repo;
  }

  /** Write the files, commit them, and return the commit SHA. */
  async commit(files: Record<string, string>, message = 'change'): Promise<string> {
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), text);
    }
    this.git('add', '-A');
    this.git('commit', '-q', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  git(...args: string[]): string {
    return execFileSync('git', args, { cwd: this.dir, encoding: 'utf8' });
  }
}
