import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/targets/cli.js';
import { installStandins, type Standins } from '../support/standin-cli.js';

// The stand-in CLIs refuse what the real ones refuse, the same way. The kubectl and gcloud
// texts below were captured from kubectl v1.32 and gcloud 528.0.0 run with the same arguments;
// the aws ones from aws-cli 1.45 (v2 keeps the texts; its exit code for syntax errors is 252,
// per https://docs.aws.amazon.com/cli/latest/userguide/cli-usage-returncodes.html).

let standins: Standins;
const run = (...argv: string[]) => runCli(argv, { timeoutMs: 10_000 });
const GCLOUD_UPDATE_USAGE = 'Usage: gcloud ai endpoints update (ENDPOINT : --region=REGION) [optional flags]';

beforeAll(async () => {
  standins = await installStandins();
  await standins.seed({});
});
afterAll(async () => {
  await standins?.remove();
});

describe('stand-in CLIs fail like the real ones on arguments the real ones refuse', () => {
  it('kubectl', async () => {
    expect(await run('kubectl', 'get', 'inferenceservice', 'x', '-n', 'ns', '-o', 'json', '--bogus')).toEqual(
      {
        exitCode: 1,
        stdout: '',
        stderr: "Error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n",
      },
    );
    expect((await run('kubectl', 'get', 'isvc', 'x', '-n')).stderr).toBe(
      "Error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n",
    );
    expect(
      (await run('kubectl', 'patch', 'inferenceservice', 'x', '-n', 'ns', '--type', 'merge')).stderr,
    ).toBe('error: must specify --patch or --patch-file containing the contents of the patch\n');
    expect((await run('kubectl', 'patch', 'isvc', 'x', '--type', 'mergee', '-p', '{}')).stderr).toBe(
      'error: --type must be one of [json merge strategic], not "mergee"\n',
    );
    expect(await run('kubectl', 'apply', '-n', 'ns')).toMatchObject({
      exitCode: 1,
      stderr: 'error: must specify one of -f and -k\n',
    });
    expect((await run('kubectl', 'get', 'isvc', 'missing', '-n', 'ml', '-o', 'json')).stderr).toBe(
      'Error from server (NotFound): inferenceservices.serving.kserve.io "missing" not found\n',
    );
  });

  it('gcloud', async () => {
    const bad = await run(
      'gcloud',
      'ai',
      'endpoints',
      'update',
      '123',
      '--region=us-central1',
      '--traffic-splitt=1=2',
    );
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe(
      "ERROR: (gcloud.ai.endpoints.update) unrecognized arguments: --traffic-splitt=1=2 (did you mean '--traffic-split'?) \n\nTo search the help text of gcloud commands, run:\n  gcloud help -- SEARCH_TERMS\n",
    );
    const dict = await run(
      'gcloud',
      'ai',
      'endpoints',
      'update',
      '123',
      '--region=us-central1',
      '--traffic-split=abc',
    );
    expect(dict.stderr).toContain(
      'ERROR: (gcloud.ai.endpoints.update) argument --traffic-split: Bad syntax for dict arg: [abc]. Please see `gcloud topic flags-file` or `gcloud topic escaping` for information on providing list or dictionary flag values with special characters.\n' +
        GCLOUD_UPDATE_USAGE,
    );
    const both = await run(
      'gcloud',
      'ai',
      'endpoints',
      'update',
      '123',
      '--region=us-central1',
      '--traffic-split=1=100',
      '--clear-traffic-split',
    );
    expect(both).toMatchObject({ exitCode: 2 });
    expect(both.stderr).toContain(
      'argument --clear-traffic-split: At most one of --clear-traffic-split | --traffic-split can be specified.',
    );
    const noEndpoint = await run(
      'gcloud',
      'ai',
      'endpoints',
      'update',
      '--region=us-central1',
      '--traffic-split=1=100',
    );
    expect(noEndpoint.stderr).toContain(
      'ERROR: (gcloud.ai.endpoints.update) argument --region: ENDPOINT must be specified.',
    );
  });

  it('aws (v2 return codes)', async () => {
    const missing = await run(
      'aws',
      'sagemaker',
      'update-endpoint-weights-and-capacities',
      '--endpoint-name',
      'x',
      '--region',
      'us-east-1',
    );
    expect(missing.exitCode).toBe(252);
    expect(missing.stderr).toContain(
      'aws: error: the following arguments are required: --desired-weights-and-capacities',
    );
    const unknownKey = await run(
      'aws',
      'sagemaker',
      'update-endpoint-weights-and-capacities',
      '--endpoint-name',
      'x',
      '--region',
      'us-east-1',
      '--desired-weights-and-capacities',
      '[{"VariantName":"a","DesiredWeightt":1}]',
    );
    expect(unknownKey).toMatchObject({ exitCode: 252 });
    expect(unknownKey.stderr).toContain(
      'Parameter validation failed:\nUnknown parameter in DesiredWeightsAndCapacities[0]: "DesiredWeightt", must be one of: VariantName, DesiredWeight, DesiredInstanceCount, ServerlessUpdateConfig',
    );
    expect(
      (
        await run(
          'aws',
          'sagemaker',
          'describe-endpoint',
          '--endpoint-name',
          'x',
          '--region',
          'us-east-1',
          '--bogus',
        )
      ).stderr,
    ).toContain('Unknown options: --bogus');
    const absent = await run(
      'aws',
      'sagemaker',
      'describe-endpoint',
      '--endpoint-name',
      'x',
      '--region',
      'us-east-1',
    );
    expect(absent.exitCode).toBe(254);
    expect(absent.stderr).toContain(
      'An error occurred (ValidationException) when calling the DescribeEndpoint operation: Could not find endpoint',
    );
  });

  it('az', async () => {
    const missing = await run('az', 'ml', 'online-endpoint', 'show', '--name', 'e');
    expect(missing).toMatchObject({ exitCode: 2 });
    expect(missing.stderr).toBe(
      'ERROR: the following arguments are required: --resource-group/-g, --workspace-name/-w\n',
    );
    expect(
      (await run('az', 'ml', 'online-endpoint', 'update', '-n', 'e', '-g', 'g', '-w', 'w', '--trafic', 'a=1'))
        .stderr,
    ).toBe('ERROR: unrecognized arguments: --trafic\n');
    expect((await run('az', 'ml', 'online-endpoint', 'show', '-n', 'e', '-g', 'g', '-w', 'w')).exitCode).toBe(
      3,
    );
  });

  it('records every call and keeps platform state between calls', async () => {
    await standins.seed({
      vertex: {
        'projects/p/locations/us-central1/endpoints/1': {
          name: 'projects/p/locations/us-central1/endpoints/1',
          deployedModels: [{ id: '7' }, { id: '8' }],
          trafficSplit: { '7': 100 },
        },
      },
    });
    await run(
      'gcloud',
      'ai',
      'endpoints',
      'update',
      '1',
      '--region=us-central1',
      '--project=p',
      '--traffic-split=7=60,8=40',
    );
    const shown = await run(
      'gcloud',
      'ai',
      'endpoints',
      'describe',
      '1',
      '--region=us-central1',
      '--project=p',
      '--format=json',
    );
    expect(JSON.parse(shown.stdout).trafficSplit).toEqual({ '7': 60, '8': 40 });
    expect(shown.stderr).toBe('Using endpoint [https://us-central1-aiplatform.googleapis.com/]\n');
    expect((await standins.calls('gcloud')).map((c) => c.argv[2])).toEqual(['update', 'describe']);
  });
});
