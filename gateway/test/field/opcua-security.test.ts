/**
 * OPC-UA security (RELIABILITY.md C10): with SignAndEncrypt, a server certificate nobody trusted is
 * rejected — never auto-trusted — the operator is told the exact command that trusts it, and after
 * that command the source connects by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOpcuaSimulator } from '@safeloop/test-rigs';
import { createFieldSources } from '../../src/field/index.ts';
import { capturingLogger, device, recorder, waitFor } from './helpers.ts';

void test('C10: an unknown server certificate is rejected with SignAndEncrypt; trusting it with the printed command restores the link', async () => {
  const pkiDir = await mkdtemp(join(tmpdir(), 'safeloop-gw-pki-'));
  const sim = await startOpcuaSimulator({ port: 0, devices: [{ name: 'tank01', profileId: 'generic-tank-gauging-opcua' }], securityModes: ['SignAndEncrypt'] });
  const rec = recorder();
  const logger = capturingLogger();
  const [src] = createFieldSources({
    devices: [
      device({
        id: 'tank01',
        profile: 'generic-tank-gauging-opcua',
        pollIntervalMs: 500,
        transport: { kind: 'opcua', endpoint: sim.endpoint, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', pkiDir, samplingIntervalMs: 100, timeoutMs: 5000 },
      }),
    ],
    defaultSite: 'plant',
    logger,
    sink: rec.sink,
  });
  assert.ok(src);
  try {
    await src.start();
    const err = await waitFor('untrusted-certificate error', () => logger.entries.find((e) => String(e.obj['err'] ?? '').includes('not trusted')), 30_000);
    const text = String(err.obj['err']);
    const cmd = /trust it with: (mv '[^']+' '[^']+\/')/.exec(text)?.[1];
    assert.ok(cmd, `the log names the command: ${text}`);
    assert.ok(readdirSync(join(pkiDir, 'rejected')).length >= 1, 'certificate filed under rejected/');
    assert.ok(!existsSync(join(pkiDir, 'trusted', 'certs')) || readdirSync(join(pkiDir, 'trusted', 'certs')).length === 0, 'nothing auto-trusted');
    const lost = rec.last('tank01/level');
    assert.equal(lost?.quality, 'bad');
    assert.equal(lost?.reason, 'comm_lost');
    assert.ok(!rec.readings.some((r) => r.quality === 'good'), 'no data over an untrusted channel');
    execSync(cmd);
    const good = await waitFor('good value after trusting', () => rec.readings.find((r) => r.point === 'plant/tank01/level' && r.quality !== 'bad'), 25_000);
    assert.equal(typeof good.value, 'number');
    assert.equal(good.unit, 'm');
  } finally {
    await src.stop();
    await sim.stop();
    await rm(pkiDir, { recursive: true, force: true });
  }
});
