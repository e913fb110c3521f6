import { describe, expect, it } from 'vitest';
import { lastLines } from '../../src/targets/cli.js';

// What an error message quotes of a failed command's stderr (the command target's and every
// platform CLI's): the line that says what went wrong, not the stack under it.

describe('the stderr excerpt of a failed command', () => {
  it.each([
    [
      'a Node crash: the error, not its stack and "Node.js v20"',
      `file:///repo/deploy/apply.mjs:3
await client.put(state);
^

TypeError [ERR_INVALID_ARG_TYPE]: The "url" argument must be of type string. Received undefined
    at new NodeError (node:internal/errors:405:5)
    at file:///repo/deploy/apply.mjs:3:14 {
  code: 'ERR_INVALID_ARG_TYPE'
}

Node.js v20.19.2
`,
      `TypeError [ERR_INVALID_ARG_TYPE]: The "url" argument must be of type string. Received undefined | code: 'ERR_INVALID_ARG_TYPE' | }`,
    ],
    [
      'a Python traceback: its last line says it',
      `Traceback (most recent call last):
  File "deploy.py", line 12, in <module>
    main()
  File "deploy.py", line 9, in main
    raise RuntimeError("router refused the split")
RuntimeError: router refused the split
`,
      'RuntimeError: router refused the split',
    ],
    [
      "a tool's error above many lines of detail: the error, then the last lines",
      `error: the server rejected the change
detail 1
detail 2
detail 3
detail 4
detail 5
`,
      'error: the server rejected the change | ... | detail 3 | detail 4 | detail 5',
    ],
    [
      'no line that reads as an error: the last lines',
      '+ deploy --weight 10\nPUT failed: 500 {"error":"router down"}\n',
      '+ deploy --weight 10 | PUT failed: 500 {"error":"router down"}',
    ],
    ['nothing', '\n\n', '(nothing on stderr)'],
  ])('%s', (_what, stderr, excerpt) => {
    expect(lastLines(stderr)).toBe(excerpt);
  });

  it('cuts a very long line (minified source) short', () => {
    const excerpt = lastLines(`Error: ${'x'.repeat(5000)}`);
    expect(excerpt.length).toBeLessThanOrEqual(300);
    expect(excerpt.startsWith('Error: xxx')).toBe(true);
  });
});
