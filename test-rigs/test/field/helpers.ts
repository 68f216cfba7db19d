/** Shared test helpers: a modbus-serial client with a timeout, raw MBAP requests, a test profile. */
import net from 'node:net';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import type ModbusSerial from 'modbus-serial';
import { DeviceProfileSchema, type DeviceProfile } from '@safeloop/device-profiles';

// modbus-serial is CommonJS whose typings declare only a default export; load the class directly.
type ModbusClientClass = typeof ModbusSerial.default;
export type ModbusRTU = InstanceType<ModbusClientClass>;
const ModbusClient = createRequire(import.meta.url)('modbus-serial') as ModbusClientClass;

export function newModbusClient(): ModbusRTU {
  return new ModbusClient();
}

export async function tcpClient(port: number, unitId: number, timeoutMs = 500): Promise<ModbusRTU> {
  const client = new ModbusClient();
  await client.connectTCP('127.0.0.1', { port });
  client.setTimeout(timeoutMs);
  client.setID(unitId);
  return client;
}

export async function closeClient(client: ModbusRTU): Promise<void> {
  if (!client.isOpen) return;
  await new Promise<void>((resolve) => client.close(() => resolve()));
}

/** Expect a promise to reject; returns the error (a test fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & { modbusCode?: number; errno?: string }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { modbusCode?: number };
  }
  throw new Error('expected the promise to reject');
}

/** A raw MBAP connection: send exact bytes, collect every byte that comes back. */
export async function rawConnection(port: number): Promise<{
  socket: net.Socket;
  received: () => Buffer;
  closed: () => boolean;
  send: (bytes: number[] | Buffer) => void;
  waitFor: (n: number, timeoutMs?: number) => Promise<Buffer>;
  close: () => void;
}> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  let buf = Buffer.alloc(0);
  let isClosed = false;
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    isClosed = true;
  });
  return {
    socket,
    received: () => buf,
    closed: () => isClosed,
    send: (bytes) => socket.write(Buffer.from(bytes)),
    waitFor: async (n, timeoutMs = 1000) => {
      const deadline = Date.now() + timeoutMs;
      while (buf.length < n && Date.now() < deadline && !isClosed) await new Promise((r) => setTimeout(r, 5));
      return buf;
    },
    close: () => socket.destroy(),
  };
}

/** One MBAP request frame. */
export function mbap(tid: number, unitId: number, pdu: number[]): Buffer {
  const out = Buffer.alloc(7 + pdu.length);
  out.writeUInt16BE(tid, 0);
  out.writeUInt16BE(0, 2);
  out.writeUInt16BE(pdu.length + 1, 4);
  out[6] = unitId;
  Buffer.from(pdu).copy(out, 7);
  return out;
}

/** A small profile with every table, for function codes the library's demo devices do not use. */
export function allTablesProfile(): DeviceProfile {
  const name = { zh: '测试', en: 'test' };
  return DeviceProfileSchema.parse({
    id: 'test-all-tables',
    name,
    sector: 'general',
    protocol: 'modbus',
    points: [
      { id: 'setpoint', name, table: 'holding', address: 0, type: 'uint16', unit: '%', range: { min: 0, max: 100 }, writable: true },
      { id: 'level', name, table: 'holding', address: 1, type: 'float32', order: 'CDAB', unit: 'm', range: { min: 0, max: 20 } },
      { id: 'temp', name, table: 'input', address: 0, type: 'int16', scale: 0.1, unit: '°C', range: { min: -40, max: 80 } },
      { id: 'pump', name, table: 'coil', address: 0, type: 'bool', writable: true },
      { id: 'valve', name, table: 'coil', address: 1, type: 'bool', writable: true },
      { id: 'door', name, table: 'discrete', address: 0, type: 'bool' },
      { id: 'flood', name, table: 'discrete', address: 2, type: 'bool' },
    ],
  });
}
