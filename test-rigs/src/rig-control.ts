/**
 * A small control listener for a running rig (loopback only), so a person trying the demo can make
 * a simulated device fall silent and come back — and watch the comm-loss fault alarm, stale data and
 * its clearing on the desk — without restarting anything. `safeloop rig pause|resume|status` talk to it.
 *
 *   GET  /devices                         every Modbus device: simulator, unit, paused
 *   POST /devices/{simulator}/{unit}/pause   the unit stops answering (silent slave)
 *   POST /devices/{simulator}/{unit}/resume  it answers again
 */
import http from 'node:http';
import type { Logger } from '@safeloop/contract';
import type { Rig } from './rig.ts';

export interface RigControl {
  readonly url: string;
  stop(): Promise<void>;
}

interface DeviceRow {
  simulator: string;
  unit: number;
  paused: boolean;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export async function startRigControl(rig: Rig, opts: { port: number; logger: Logger }): Promise<RigControl> {
  const paused = new Set<string>();
  const devices = (): DeviceRow[] =>
    rig.endpoints.flatMap((e) => (e.kind === 'opcua' ? [] : e.unitIds.map((unit) => ({ simulator: e.name, unit, paused: paused.has(`${e.name}/${unit}`) }))));
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/devices') return send(res, 200, { devices: devices() });
    const m = /^\/devices\/([A-Za-z0-9_-]{1,64})\/(\d{1,3})\/(pause|resume)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) return send(res, 404, { error: { code: 'RIG_ERR_NOT_FOUND', message: `no such control: ${req.method ?? ''} ${url.pathname}` } });
    const [, name, unitText, action] = m as unknown as [string, string, string, 'pause' | 'resume'];
    const unit = Number(unitText);
    const sim = rig.modbus.get(name);
    if (!sim || !devices().some((d) => d.simulator === name && d.unit === unit)) {
      return send(res, 404, { error: { code: 'RIG_ERR_NO_DEVICE', message: `no Modbus device ${name}/${unit}; GET /devices lists them` } });
    }
    sim.setFault(unit, action === 'pause' ? { kind: 'silent' } : null);
    if (action === 'pause') paused.add(`${name}/${unit}`);
    else paused.delete(`${name}/${unit}`);
    opts.logger.info({ simulator: name, unit, action }, 'rig control');
    return send(res, 200, { simulator: name, unit, paused: action === 'pause' });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
