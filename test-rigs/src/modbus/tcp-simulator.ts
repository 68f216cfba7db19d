/**
 * Modbus TCP simulator on node:net: MBAP framing, many unit ids behind one port (like a
 * serial-to-Ethernet gateway), pipelined requests, fault personalities per unit. No per-request
 * timers on the good path, so it does not cap throughput benchmarks.
 */
import net from 'node:net';
import { once } from 'node:events';
import { MBAP_HEADER_BYTES, encodeMbap, readMbapHeader, silentLogger, systemClock, type Clock, type Logger } from '@safeloop/contract';
import { createScenarioClock, type ScenarioClock } from '../scenario/scenario-clock.ts';
import { answerPdu, truncatePdu } from './pdu.ts';
import { SimFleet, type ModbusSim } from './sim-fleet.ts';
import type { SimDevice } from './sim-device.ts';

export interface ModbusTcpSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  devices: SimDevice[];
  logger?: Logger;
  clock?: Clock;
  /** Share one scenario timeline between several simulators of a plant. */
  scenario?: ScenarioClock;
  /** How often (ms) a device recomputes its registers from its curves; default 100. */
  refreshMs?: number;
}

const MBAP_HEADER = MBAP_HEADER_BYTES;

interface Slot {
  data: Buffer | undefined;
  done: boolean;
}

/** The TCP simulator's handle: a ModbusSim that can also stop listening for a while. */
export interface ModbusTcpSim extends ModbusSim {
  /**
   * Close the listening socket and drop every connection: connects are refused (ECONNREFUSED), as
   * while a device reboots (RELIABILITY.md C4). Devices and their state are kept.
   */
  pause(): Promise<void>;
  /** Listen again on the same port. */
  resume(): Promise<void>;
}

export async function startModbusTcpSimulator(opts: ModbusTcpSimulatorOptions): Promise<ModbusTcpSim> {
  const logger = (opts.logger ?? silentLogger).child({ component: 'rig:modbus-tcp' });
  const scenario = opts.scenario ?? createScenarioClock(opts.clock ?? systemClock);
  const fleet = new SimFleet(opts.devices, { scenario, logger, ...(opts.refreshMs === undefined ? {} : { refreshMs: opts.refreshMs }) });
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const everyUnitDisconnected = (): boolean => {
    const all = fleet.all();
    return all.length > 0 && all.every((d) => d.fault('disconnect') !== undefined);
  };

  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const serve = (socket: net.Socket): void => {
    if (stopped || everyUnitDisconnected()) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    /** Replies that must keep request order (slow personalities); empty on the fast path. */
    const ordered: Slot[] = [];

    const flushOrdered = (): void => {
      while (ordered.length > 0 && ordered[0]?.done === true) {
        const slot = ordered.shift();
        if (slot?.data !== undefined && !socket.destroyed) socket.write(slot.data);
      }
    };

    const handleFrame = (frame: Buffer): boolean => {
      const unitId = frame[6] ?? 0;
      const device = fleet.find(unitId);
      if (device === undefined) return true; // nobody at this address: like a bus with no such slave
      device.requests += 1;
      if (device.fault('disconnect') !== undefined) {
        socket.destroy();
        return false;
      }
      if (device.fault('silent') !== undefined) return true;
      let pdu = answerPdu(device, frame.subarray(MBAP_HEADER));
      if (device.fault('shortFrame') !== undefined) pdu = truncatePdu(pdu);
      const reply = encodeMbap(frame.readUInt16BE(0), unitId, pdu);
      const late = device.fault('lateReply');
      if (late !== undefined) {
        later(late.ms, () => {
          if (!socket.destroyed) socket.write(reply);
        });
        return true;
      }
      const slow = device.fault('slow');
      if (slow === undefined && ordered.length === 0) {
        socket.write(reply);
        return true;
      }
      const slot: Slot = { data: reply, done: slow === undefined };
      ordered.push(slot);
      if (slow !== undefined) {
        later(slow.ms, () => {
          slot.done = true;
          flushOrdered();
        });
      }
      return true;
    };

    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      socket.cork();
      try {
        let offset = 0;
        for (let h = readMbapHeader(pending.subarray(offset)); h; h = readMbapHeader(pending.subarray(offset))) {
          if (!h.valid) {
            logger.debug({ protocolId: h.protocol, length: h.length }, 'malformed MBAP header; closing the connection');
            socket.destroy();
            return;
          }
          const total = h.frameBytes;
          if (pending.length - offset < total) break;
          const frame = pending.subarray(offset, offset + total);
          offset += total;
          if (!handleFrame(frame)) return;
        }
        pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
      } finally {
        if (!socket.destroyed) socket.uncork();
      }
    });
    socket.on('error', (err) => logger.debug({ err: err.message }, 'client socket error'));
    socket.on('close', () => sockets.delete(socket));
  };

  const host = opts.host ?? '127.0.0.1';
  const listen = async (port: number): Promise<net.Server> => {
    const srv = net.createServer(serve);
    srv.on('error', (err) => logger.error({ err }, 'modbus tcp simulator server error'));
    srv.listen(port, host);
    await once(srv, 'listening'); // rejects on 'error' (e.g. port in use)
    return srv;
  };
  const dropConnections = (): void => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const close = async (srv: net.Server | undefined): Promise<void> => {
    if (srv === undefined) return;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  };

  let server: net.Server | undefined = await listen(opts.port ?? 0);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  logger.info({ port, units: fleet.all().map((d) => d.unitId) }, 'modbus tcp simulator listening');

  return {
    port,
    ...fleet.handle(),
    pause: async () => {
      const srv = server;
      server = undefined;
      dropConnections();
      await close(srv);
    },
    resume: async () => {
      if (stopped || server !== undefined) return;
      server = await listen(port);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      dropConnections();
      const srv = server;
      server = undefined;
      await close(srv);
    },
  };
}
