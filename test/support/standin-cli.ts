import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The stand-in CLIs in test/support/standins/, by the name they are installed under. */
export const STANDIN_CLIS = ['kubectl', 'aws', 'az', 'gcloud'] as const;
export type StandinCli = (typeof STANDIN_CLIS)[number];

export interface StandinFault {
  cli: StandinCli;
  /** The operation (`update-endpoint-weights-and-capacities`, `update`, `apply`, `get inferenceservices.serving.kserve.io`) or `*`. */
  op: string;
  kind:
    | 'throttle'
    | 'busy'
    | 'timeout'
    | 'silent-revert'
    | 'drop-mirror'
    | 'partial'
    | 'fail'
    | 'conflict'
    | 'rolled-back'
    | 'lagging-show';
  /** How many calls it affects; -1: all. */
  times: number;
  message?: string;
  /** A `fail`'s platform error code (`ExpiredTokenException`, `Forbidden`), printed as its CLI does. */
  code?: string;
  /** A `fail`'s own text instead of a service error (aws.mjs: botocore's `Could not connect to the endpoint URL`, exit 255). */
  stderr?: string;
  /** A `rolled-back`'s describe calls that read RollingBack before InService (aws.mjs). */
  gets?: number;
  /** A `lagging-show`'s shows after the update that still report the traffic from before (az.mjs; -1: all). */
  shows?: number;
  /** A `partial`'s endpoint state once the update is applied and the command fails (az.mjs: `Failed`, `Canceled`). */
  leaves?: string;
}

export interface StandinCall {
  cli: StandinCli;
  argv: string[];
}

// biome-ignore lint/suspicious/noExplicitAny: platform state is free-form JSON owned by each stand-in
export type PlatformState = Record<string, any>;

export interface Standins {
  dir: string;
  statePath: string;
  /** Replaces the platform state (faults and calls are reset). */
  seed(state: PlatformState): Promise<void>;
  state(): Promise<PlatformState>;
  fault(...faults: StandinFault[]): Promise<void>;
  calls(cli?: StandinCli): Promise<StandinCall[]>;
  /** Puts PATH and the state variable back and removes the directory. */
  remove(): Promise<void>;
}

const SOURCES = fileURLToPath(new URL('./standins/', import.meta.url));

/**
 * Writes small executables named kubectl, aws, az and gcloud (node scripts with a
 * `#!/usr/bin/env node` line, each loading its stand-in from test/support/standins/) into a
 * temporary directory put first on PATH, so adapters run them exactly as they would run
 * the real CLIs, and points them at a fresh platform state file.
 */
export async function installStandins(): Promise<Standins> {
  const dir = await mkdtemp(join(tmpdir(), 'model-gate-standins-'));
  const statePath = join(dir, 'state.json');
  for (const cli of STANDIN_CLIS) {
    const file = join(dir, cli);
    const source = pathToFileURL(join(SOURCES, `${cli}.mjs`)).href;
    await writeFile(file, `#!/usr/bin/env node\nimport(${JSON.stringify(source)});\n`);
    await chmod(file, 0o755);
  }
  await writeFile(statePath, '{}\n');
  const saved = { PATH: process.env.PATH, STATE: process.env.MODEL_GATE_STANDIN_STATE };
  process.env.PATH = `${dir}${delimiter}${process.env.PATH ?? ''}`;
  process.env.MODEL_GATE_STANDIN_STATE = statePath;

  const read = async (): Promise<PlatformState> => JSON.parse(await readFile(statePath, 'utf8'));
  const write = (state: PlatformState) => writeFile(statePath, `${JSON.stringify(state, null, 2)}\n`);
  return {
    dir,
    statePath,
    seed: (state) => write({ ...state, faults: [], calls: [] }),
    state: read,
    async fault(...faults) {
      const state = await read();
      await write({ ...state, faults: [...(state.faults ?? []), ...faults] });
    },
    async calls(cli) {
      const calls: StandinCall[] = (await read()).calls ?? [];
      return cli ? calls.filter((c) => c.cli === cli) : calls;
    },
    async remove() {
      process.env.PATH = saved.PATH;
      if (saved.STATE === undefined) delete process.env.MODEL_GATE_STANDIN_STATE;
      else process.env.MODEL_GATE_STANDIN_STATE = saved.STATE;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
