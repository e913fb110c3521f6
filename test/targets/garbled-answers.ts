import { constants } from 'node:fs';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';

/** Arms the program garbleAnswers put on PATH. */
export interface Garbler {
  /**
   * The next calls that match print `text` and exit 0, instead of reaching the CLI: `times` of
   * them (-1: all), after `skip` that go through.
   */
  arm(text: string, options?: { skip?: number; times?: number }): Promise<void>;
}

/**
 * A program named `cli` put on PATH in front of the stand-in (call after useStandins): calls whose
 * arguments begin with `prefix` (`get inferenceservices.serving.kserve.io`) answer as armed, with
 * exit 0 and output that is not the platform's (JSON cut off on the way, a proxy's HTML error
 * page); every other call, and every call while disarmed, goes on to the stand-in. Disarmed before
 * each test.
 */
export function garbleAnswers(cli: string, prefix: string): Garbler {
  let dir = '';
  beforeAll(async () => {
    const real = await onPath(cli);
    dir = await mkdtemp(join(tmpdir(), 'model-gate-garbled-'));
    const armed = join(dir, 'armed');
    const script = `#!/bin/bash
case "$*" in
  ${shellQuote(prefix)}*)
    if [ -f ${shellQuote(armed)} ]; then
      read -r skip times < ${shellQuote(armed)}
      if [ "$skip" -gt 0 ]; then echo "$((skip - 1)) $times" > ${shellQuote(armed)}
      elif [ "$times" -ne 0 ]; then
        echo "0 $((times - 1))" > ${shellQuote(armed)}
        cat ${shellQuote(join(dir, 'text'))}
        exit 0
      fi
    fi ;;
esac
exec ${shellQuote(real)} "$@"
`;
    await writeFile(join(dir, cli), script);
    await chmod(join(dir, cli), 0o755);
    process.env.PATH = `${dir}${delimiter}${process.env.PATH ?? ''}`;
  });
  afterAll(async () => {
    process.env.PATH = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d !== dir)
      .join(delimiter);
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => rm(join(dir, 'armed'), { force: true }));
  return {
    async arm(text, { skip = 0, times = 1 } = {}) {
      await writeFile(join(dir, 'text'), text);
      await writeFile(join(dir, 'armed'), `${skip} ${times}\n`);
    },
  };
}

/** The program `cli` PATH finds now. */
async function onPath(cli: string): Promise<string> {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const file = join(d, cli);
    if (
      await access(file, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return file;
  }
  throw new Error(`garbleAnswers: no ${cli} on PATH (call it after useStandins)`);
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
