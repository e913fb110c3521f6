/**
 * Paths a config or a PR names inside the repository: relative, no `..`, no control
 * characters. They end up as `git show <ref>:<path>` arguments and file reads, never in a shell.
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.length > 1024) return 'is longer than 1024 characters';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains control characters';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) return 'is absolute';
  if (path.split(/[/\\]/).includes('..')) return 'contains ".."';
  if (path.endsWith('/')) return 'names a directory';
  return undefined;
}

export function isSafeRelativePath(path: string): boolean {
  return relativePathProblem(path) === undefined;
}
