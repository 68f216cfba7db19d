/**
 * OPC-UA simulator security: with securityModes [SignAndEncrypt] only encrypted endpoints are
 * offered, and a Basic256Sha256 SignAndEncrypt session reads values with the simulator's own
 * certificate (kept in its certificate folder, which a restart reuses).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeIds, MessageSecurityMode, OPCUACertificateManager, OPCUAClient, SecurityPolicy } from 'node-opcua';
import { startOpcuaSimulator, type OpcuaSim } from '@safeloop/test-rigs/opcua/index';

void describe('OPC-UA simulator security modes', () => {
  let sim: OpcuaSim;
  let serverPki: string;
  let clientPki: string;

  before(async () => {
    serverPki = await mkdtemp(join(tmpdir(), 'safeloop-opcua-server-pki-'));
    clientPki = await mkdtemp(join(tmpdir(), 'safeloop-opcua-client-pki-'));
    sim = await startOpcuaSimulator({
      certificateDir: serverPki,
      securityModes: ['SignAndEncrypt'],
      devices: [{ name: 'Tank01', profileId: 'generic-tank-gauging-opcua', points: { level: { kind: 'constant', value: 11.5 } } }],
    });
  });
  after(async () => {
    await sim.stop();
    await rm(serverPki, { recursive: true, force: true });
    await rm(clientPki, { recursive: true, force: true });
  });

  void test('only SignAndEncrypt endpoints are offered, and the certificate lives in the given folder', async () => {
    assert.ok(sim.certificateFile.startsWith(serverPki) && existsSync(sim.certificateFile), sim.certificateFile);
    const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 } });
    try {
      await client.connect(sim.endpoint);
      const endpoints = await client.getEndpoints();
      assert.ok(endpoints.length > 0);
      assert.ok(endpoints.every((e) => e.securityMode === MessageSecurityMode.SignAndEncrypt), 'only SignAndEncrypt endpoints');
    } finally {
      await client.disconnect();
    }
  });

  void test('a SignAndEncrypt (Basic256Sha256) session reads the values', async () => {
    const certificateManager = new OPCUACertificateManager({ rootFolder: clientPki, automaticallyAcceptUnknownCertificate: true });
    const client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.SignAndEncrypt,
      securityPolicy: SecurityPolicy.Basic256Sha256,
      clientCertificateManager: certificateManager,
      connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 1000 },
    });
    try {
      await client.connect(sim.endpoint);
      const session = await client.createSession();
      try {
        const v = await session.read({ nodeId: 'ns=1;s=Tank01.Level', attributeId: AttributeIds.Value });
        assert.equal(v.value.value, 11.5);
      } finally {
        await session.close();
      }
    } finally {
      await client.disconnect();
      await certificateManager.dispose();
    }
  });
});
