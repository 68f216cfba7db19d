/**
 * A transport in one short line, for the technician's prompts and plan shorthands:
 *   rtu:/dev/ttyUSB0:38400:even:7   (path, baud, parity, unit)
 *   tcp:192.168.1.20:502:1          (host, port, unit)
 *   opc.tcp://10.0.0.5:4840         (OPC-UA endpoint; security SignAndEncrypt)
 * Parsed through the gateway's TransportSchema, so defaults and limits are the gateway's.
 */
import { SafeLoopError } from '@safeloop/contract';
import { TransportSchema, type Transport } from '../field/config.ts';

export function parseTransportSpec(spec: string): Transport {
  const s = spec.trim();
  let raw: unknown;
  if (s.startsWith('opc.tcp://')) raw = { kind: 'opcua', endpoint: s };
  else if (s.startsWith('rtu:')) {
    const parts = s.slice(4).split(':');
    if (parts.length !== 4) throw new SafeLoopError('CLI_USAGE', `"${spec}": write rtu:PATH:BAUD:PARITY:UNIT, e.g. rtu:/dev/ttyUSB0:9600:none:1`);
    const [path, baud, parity, unit] = parts;
    raw = { kind: 'modbus-rtu', path, baudRate: Number(baud), parity, unitId: Number(unit) };
  } else if (s.startsWith('tcp:')) {
    const parts = s.slice(4).split(':');
    if (parts.length !== 3) throw new SafeLoopError('CLI_USAGE', `"${spec}": write tcp:HOST:PORT:UNIT, e.g. tcp:192.168.1.20:502:1`);
    const [host, port, unit] = parts;
    raw = { kind: 'modbus-tcp', host, port: Number(port), unitId: Number(unit) };
  } else throw new SafeLoopError('CLI_USAGE', `"${spec}": a transport starts with rtu:, tcp: or opc.tcp://`);
  const r = TransportSchema.safeParse(raw);
  if (!r.success) throw new SafeLoopError('CLI_USAGE', `"${spec}": ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}
