/**
 * A connected pair of pseudo-terminals from socat, standing in for an RS-485 line without hardware:
 * whatever is written to `a` is read from `b` and vice versa. The links live in a fresh temp folder.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SafeLoopError } from '@safeloop/contract';

export interface PtyPair {
  /** Master side, e.g. for the gateway driver or modbus-serial. */
  readonly a: string;
  /** Slave side, e.g. for startModbusRtuSimulator. */
  readonly b: string;
  stop(): Promise<void>;
}

export async function createPtyPair(opts: { socatPath?: string; timeoutMs?: number } = {}): Promise<PtyPair> {
  const dir = await mkdtemp(join(tmpdir(), 'safeloop-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn(opts.socatPath ?? 'socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    if (stderr.length < 4000) stderr += s;
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      await Promise.race([exitedPromise, sleep(2000)]);
      if (!exited) {
        child.kill('SIGKILL');
        await exitedPromise;
      }
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 5000);
  while (!(existsSync(a) && existsSync(b))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new SafeLoopError('RIG_ERR_PTY', `socat did not create the pty pair${exited ? ' (it exited)' : ''}: ${stderr.trim().slice(0, 500)}`);
    }
    await sleep(10);
  }
  return { a, b, stop };
}
