/**
 * The OPC-UA simulator read with node-opcua-client: profile variables at their node ids with their
 * data types, values from curves and setValue, subscriptions see changes, restart() keeps port and
 * nodes (RELIABILITY.md C8). Security modes are in opcua-security.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AttributeIds,
  type OPCUACertificateManager,
  ClientMonitoredItem,
  ClientSubscription,
  DataType,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  type ClientSession,
  type DataValue,
} from 'node-opcua';
import { startOpcuaSimulator, type OpcuaSim } from '@safeloop/test-rigs/opcua/index';

const LEVEL = 'ns=1;s=Tank01.Level';
const TEMPERATURE = 'ns=1;s=Tank01.Temperature';
const PRESSURE = 'ns=1;s=Tank01.Pressure';

async function withSession<T>(
  endpoint: string,
  opts: { mode: MessageSecurityMode; policy: SecurityPolicy; certificateManager?: OPCUACertificateManager },
  fn: (session: ClientSession) => Promise<T>,
): Promise<T> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    securityMode: opts.mode,
    securityPolicy: opts.policy,
    connectionStrategy: { maxRetry: 2, initialDelay: 200, maxDelay: 1000 },
    ...(opts.certificateManager === undefined ? {} : { clientCertificateManager: opts.certificateManager }),
  });
  await client.connect(endpoint);
  try {
    const session = await client.createSession();
    try {
      return await fn(session);
    } finally {
      await session.close();
    }
  } finally {
    await client.disconnect();
  }
}

const NONE = { mode: MessageSecurityMode.None, policy: SecurityPolicy.None };

void describe('OPC-UA simulator', () => {
  let sim: OpcuaSim;

  before(async () => {
    sim = await startOpcuaSimulator({
      securityModes: ['None'],
      updateMs: 50,
      devices: [
        {
          name: 'Tank01',
          profileId: 'generic-tank-gauging-opcua',
          points: { level: { kind: 'constant', value: 9.25 }, pressure: { kind: 'sine', mean: 0.35, amplitude: 0.05, periodSec: 2 } },
        },
      ],
    });
  });
  after(async () => {
    await sim.stop();
  });

  void test('variables sit at the profile node ids with the profile data types and curve values', async () => {
    await withSession(sim.endpoint, NONE, async (session) => {
      const values = await session.read([LEVEL, TEMPERATURE, PRESSURE].map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
      for (const v of values) assert.equal(v.statusCode.value, StatusCodes.Good.value);
      assert.equal(values[0]?.value.dataType, DataType.Double);
      assert.equal(values[0]?.value.value, 9.25);
      const temp = values[1]?.value.value as number;
      assert.ok(temp > -10 && temp < 45, `resting temperature ${temp} inside L..H`);
      const pressure = values[2]?.value.value as number;
      assert.ok(pressure >= 0.3 - 1e-9 && pressure <= 0.4 + 1e-9, `pressure ${pressure}`);
      const browse = await session.browse('ns=0;i=85');
      assert.ok(browse.references?.some((r) => r.browseName.name === 'Tank01'), 'a Tank01 folder under Objects');
    });
  });

  void test('setValue shows up on a subscription', async () => {
    await withSession(sim.endpoint, NONE, async (session) => {
      const sub = ClientSubscription.create(session, { requestedPublishingInterval: 50, publishingEnabled: true, requestedMaxKeepAliveCount: 20, requestedLifetimeCount: 100 });
      const seen: number[] = [];
      const item = ClientMonitoredItem.create(sub, { nodeId: LEVEL, attributeId: AttributeIds.Value }, { samplingInterval: 50, queueSize: 10, discardOldest: false }, TimestampsToReturn.Both);
      item.on('changed', (dv: DataValue) => seen.push(dv.value.value as number));
      const waitFor = async (value: number): Promise<void> => {
        const deadline = Date.now() + 15_000;
        while (!seen.includes(value) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      };
      await waitFor(9.25); // the initial notification, before the value changes
      sim.setValue('Tank01', 'level', 17.5);
      await waitFor(17.5);
      await sub.terminate();
      assert.ok(seen.includes(9.25), `initial value seen: ${seen.join(',')}`);
      assert.ok(seen.includes(17.5), `new value seen: ${seen.join(',')}`);
    });
    assert.throws(() => sim.setValue('Tank02', 'level', 1), /no OPC-UA point Tank02\/level/);
  });

  void test('setStatusCode makes the values carry that status; Good restores it', async () => {
    await withSession(sim.endpoint, NONE, async (session) => {
      sim.setStatusCode('Tank01', 'temperature', 'BadSensorFailure');
      const bad = await session.read({ nodeId: TEMPERATURE, attributeId: AttributeIds.Value });
      assert.equal(bad.statusCode.value, StatusCodes.BadSensorFailure.value);
      sim.setStatusCode('Tank01', 'temperature', 'Good');
      const good = await session.read({ nodeId: TEMPERATURE, attributeId: AttributeIds.Value });
      assert.equal(good.statusCode.value, StatusCodes.Good.value);
    });
    assert.throws(() => sim.setStatusCode('Tank01', 'temperature', 'NoSuchCode'), /unknown OPC-UA status code name/);
  });

  void test('restart keeps the port and the nodes', async () => {
    const port = sim.port;
    await sim.restart();
    assert.equal(sim.port, port);
    await withSession(sim.endpoint, NONE, async (session) => {
      const values = await session.read([LEVEL, TEMPERATURE].map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
      assert.equal(values[0]?.statusCode.value, StatusCodes.Good.value);
      assert.equal(values[0]?.value.value, 17.5, 'a value set before the restart is kept');
      assert.equal(values[1]?.statusCode.value, StatusCodes.Good.value);
    });
  });

  void test('two devices with the same node ids are refused before anything starts', async () => {
    await assert.rejects(
      startOpcuaSimulator({ devices: [{ name: 'A', profileId: 'generic-tank-gauging-opcua' }, { name: 'B', profileId: 'generic-tank-gauging-opcua' }] }),
      /both use node id ns=1;s=Tank01.Level/,
    );
    await assert.rejects(startOpcuaSimulator({ devices: [{ name: 'A', profileId: 'generic-catalytic-lel' }] }), /profile for modbus/);
  });
});
