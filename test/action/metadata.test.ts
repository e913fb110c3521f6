import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { parse } from 'yaml';

// action.yml is what the runner reads before it runs a line of ours: it must parse, and it must
// declare exactly the inputs the code reads and the outputs it sets.
const root = join(import.meta.dirname, '..', '..');
const metadata = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string; post: string };
};

/** Every name the action's code passes to `core.<fn>('name'…)`. */
function namesIn(fn: 'getInput' | 'setOutput'): string[] {
  const dir = join(root, 'src', 'action');
  const text = readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');
  return [
    ...new Set([...text.matchAll(new RegExp(`core\\.${fn}\\(\\s*'([a-z-]+)'`, 'g'))].map((m) => m[1] ?? '')),
  ];
}

it('parses, and runs the bundled main and post steps on Node 24', () => {
  expect(metadata.runs).toMatchObject({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' });
  for (const file of [metadata.runs.main, metadata.runs.post])
    expect(existsSync(join(root, file))).toBe(true);
});

it('declares, with a description, exactly the inputs the code reads and the outputs it sets', () => {
  expect(Object.keys(metadata.inputs).sort()).toEqual(namesIn('getInput').sort());
  expect(Object.keys(metadata.outputs).sort()).toEqual(namesIn('setOutput').sort());
  for (const entry of [...Object.values(metadata.inputs), ...Object.values(metadata.outputs)])
    expect(entry.description.length).toBeGreaterThan(10);
});
