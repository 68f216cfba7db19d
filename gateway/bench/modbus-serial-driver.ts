/**
 * A ModbusDriver on top of the `modbus-serial` package (TCP, and RTU through its buffered serial
 * port), for the driver comparison in field-modbus-drivers.bench.ts only: no production code uses it.
 * It sits under the same bus core (modbus-bus.ts) as our own drivers, so scheduling, block planning,
 * timeouts, retries and quality are the same; only the wire differs.
 *
 * modbus-serial keeps the unit id and the timeout as client state (setID / setTimeout); the bus core
 * sends one request at a time, so setting both before each request is safe here. Its errors are
 * mapped to our reasons by their message and code, the only thing it offers to tell them apart.
 */
import { createRequire } from 'node:module';
import type ModbusSerial from 'modbus-serial';
import { FieldRequestError } from '../src/field/errors.ts';
import { checkBlock, type ModbusBlock } from '../src/field/modbus-frame.ts';
import { emptyCounters, requireTimeout, type DriverCounters, type ModbusDriver, type RequestOptions, type WriteRequest } from '../src/field/modbus-driver.ts';

type ModbusClientClass = typeof ModbusSerial.default;
type Client = InstanceType<ModbusClientClass>;
const ModbusClient = createRequire(import.meta.url)('modbus-serial') as ModbusClientClass;

export type ModbusSerialTarget =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'rtu'; path: string; baudRate: number; parity: 'none' | 'even' | 'odd'; dataBits?: 7 | 8; stopBits?: 1 | 2 };

/** modbus-serial's error → the reason our readings carry. */
export function classifyModbusSerialError(err: unknown): FieldRequestError {
  const e = err as { message?: string; errno?: string; modbusCode?: number };
  const message = e.message ?? String(err);
  if (typeof e.modbusCode === 'number') return new FieldRequestError('exception', message, { cause: err, details: { exceptionCode: e.modbusCode } });
  if (e.errno === 'ETIMEDOUT' || /timed out/i.test(message)) return new FieldRequestError('timeout', message, { cause: err });
  if (/crc/i.test(message)) return new FieldRequestError('crc_error', message, { cause: err });
  if (/length|unexpected data/i.test(message)) return new FieldRequestError('short_frame', message, { cause: err });
  return new FieldRequestError('comm_lost', message, { cause: err });
}

export function createModbusSerialDriver(target: ModbusSerialTarget): ModbusDriver {
  const busId = target.kind === 'tcp' ? `tcp:${target.host}:${target.port}` : `rtu:${target.path}`;
  const counters = emptyCounters();
  let client: Client | undefined;
  let busy = false;

  async function transact<T>(unitId: number, ro: RequestOptions, call: (c: Client) => Promise<T>): Promise<T> {
    const timeoutMs = requireTimeout(ro);
    if (busy) throw new Error(`${busId}: a request is already outstanding (the bus core must serialise)`);
    const c = client;
    if (!c?.isOpen) throw new FieldRequestError('comm_lost', 'not connected');
    busy = true;
    counters.requests += 1;
    try {
      c.setID(unitId);
      c.setTimeout(timeoutMs);
      const result = await call(c);
      counters.replies += 1;
      return result;
    } catch (err) {
      const mapped = classifyModbusSerialError(err);
      if (mapped.reason === 'timeout') counters.timeouts += 1;
      if (mapped.reason === 'exception') counters.exceptions += 1;
      if (mapped.reason === 'crc_error') counters.crcErrors += 1;
      if (mapped.reason === 'short_frame') counters.shortFrames += 1;
      throw mapped;
    } finally {
      busy = false;
    }
  }

  return {
    busId,
    isOpen: () => client?.isOpen === true,
    counters: (): Readonly<DriverCounters> => ({ ...counters }),
    async open({ timeoutMs }) {
      if (client?.isOpen) return;
      counters.opens += 1;
      const c = new ModbusClient();
      c.on('error', () => undefined);
      try {
        if (target.kind === 'tcp') await c.connectTCP(target.host, { port: target.port, timeout: timeoutMs });
        else await c.connectRTUBuffered(target.path, { baudRate: target.baudRate, parity: target.parity, dataBits: target.dataBits ?? 8, stopBits: target.stopBits ?? 1 });
      } catch (err) {
        throw new FieldRequestError('comm_lost', `cannot open ${busId}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      client = c;
    },
    async close() {
      const c = client;
      client = undefined;
      if (c?.isOpen) await new Promise<void>((resolve) => c.close(() => resolve()));
    },
    async readBlock(unitId: number, block: ModbusBlock, ro: RequestOptions) {
      checkBlock(block);
      return transact(unitId, ro, async (c) => {
        switch (block.table) {
          case 'holding':
            return (await c.readHoldingRegisters(block.start, block.count)).data;
          case 'input':
            return (await c.readInputRegisters(block.start, block.count)).data;
          case 'coil':
            return (await c.readCoils(block.start, block.count)).data.slice(0, block.count).map((b) => (b ? 1 : 0));
          case 'discrete':
            return (await c.readDiscreteInputs(block.start, block.count)).data.slice(0, block.count).map((b) => (b ? 1 : 0));
        }
      });
    },
    async writeBlock(unitId: number, req: WriteRequest, ro: RequestOptions) {
      await transact(unitId, ro, async (c) => {
        if (req.table === 'holding') await c.writeRegisters(req.start, [...req.values]);
        else await c.writeCoils(req.start, req.values.map((v) => v !== 0));
      });
    },
  };
}
