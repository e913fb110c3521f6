import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_DISCARDED_BYTES } from '../../src/sandbox/http-io.js';
import { demoModelsDir } from '../../src/sandbox/paths.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { killSandboxProcesses, startSandboxProcess } from '../support/sandbox-process.js';
import { call } from './helpers.js';

// A 10 MB body got a broken pipe (EPIPE) instead of the 413 meant for it: the sandbox answered
// with `connection: close` and closed while the client was still uploading. Seen with the
// sandbox in its own process, as a workflow runs it (in one process the upload wins the race).

afterAll(killSandboxProcesses);

const TOO_LARGE = { error: 'request body is larger than 65536 bytes' };

describe('a body far over the 64 kB limit', () => {
  it('gets the 413 with its reason, every time, from `model-gate sandbox`', async () => {
    const { proc, exited, url } = await startSandboxProcess(['--port', '0']);
    try {
      const body = ' '.repeat(10_000_000);
      const answers: unknown[] = [];
      for (let i = 0; i < 3; i++) {
        for (const path of ['/predict', '/admin/models/fraud-detector/traffic']) {
          const method = path === '/predict' ? 'POST' : 'PUT';
          try {
            const res = await fetch(`${url}${path}`, { method, body });
            answers.push({ status: res.status, body: await res.json() });
          } catch (e) {
            answers.push(String((e as { cause?: { code?: string } }).cause?.code ?? e));
          }
        }
      }
      expect(answers).toEqual(Array(6).fill({ status: 413, body: TOO_LARGE }));
      // The sandbox still serves afterwards.
      expect((await call('POST', `${url}/predict`, { features: [0, 0, 0, 0] })).status).toBe(200);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('has its connection cut once the sandbox has thrown away 32 MiB of it, after the 413', async () => {
    const sandbox = await startSandbox({
      modelsDir: demoModelsDir,
      endpoints: [{ model: 'fraud-detector', stable: 'v1' }],
    });
    try {
      // An upload that never ends, over a plain socket (node:http's client stops sending once the
      // answer is in), as fast as the socket takes it.
      const { port } = new URL(sandbox.url);
      const cut = await new Promise<{ answer: string; sent: number }>((resolve) => {
        let answer = '';
        let sent = 0;
        let done = false;
        const socket = connect(Number(port), '127.0.0.1');
        const finish = () => {
          if (done) return;
          done = true;
          socket.destroy();
          resolve({ answer, sent });
        };
        socket.setEncoding('utf8');
        socket.on('data', (text: string) => {
          answer += text;
        });
        socket.once('error', finish);
        socket.once('close', finish);
        const chunk = Buffer.alloc(256 * 1024, 0x20);
        const pump = () => {
          while (!done && sent < 4 * MAX_DISCARDED_BYTES) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once('drain', pump);
          }
          finish(); // not reached while the sandbox cuts the upload
        };
        socket.write('POST /predict HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000000000\r\n\r\n', pump);
      });
      expect(cut.answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(cut.answer).toContain(JSON.stringify(TOO_LARGE));
      expect(cut.sent).toBeGreaterThan(MAX_DISCARDED_BYTES);
      expect(cut.sent).toBeLessThan(2 * MAX_DISCARDED_BYTES);
      expect((await call('POST', `${sandbox.url}/predict`, { features: [0, 0, 0, 0] })).status).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});
