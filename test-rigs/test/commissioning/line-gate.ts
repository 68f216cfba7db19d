/**
 * An RS-485 line that cares about line settings. A socat pty pair carries bytes whatever baud rate
 * or parity either end set (and Linux ptys drop the parity bits from termios), so on its own it
 * cannot show a wrong-settings scan. The gate sits between two pty pairs and relays bytes only when
 * the master's settings equal the line's; otherwise it garbles them (every byte XOR-ed, every other
 * byte lost), as a UART at the wrong baud rate or parity does. The master's settings are told to the
 * gate by the test when the master opens the port (the one thing a pty cannot carry).
 */
import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '@safeloop/test-rigs/modbus/index';

export interface LineSettingsLike {
  baudRate: number;
  parity: 'none' | 'even' | 'odd';
}

export interface LineGate {
  /** Where the master (scanner, gateway driver) opens the line. */
  readonly masterPath: string;
  /** Where the RTU simulator opens the line. */
  readonly slavePath: string;
  setMaster(s: LineSettingsLike): void;
  stats(): { relayed: number; garbled: number };
  stop(): Promise<void>;
}

function garble(chunk: Buffer): Buffer {
  const out: number[] = [];
  chunk.forEach((b, i) => {
    if (i % 2 === 0) out.push(b ^ 0x5a);
  });
  return Buffer.from(out);
}

async function openRaw(path: string): Promise<SerialPort> {
  const p = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(err) : resolve())));
  p.on('error', () => undefined);
  return p;
}

export async function startLineGate(line: LineSettingsLike): Promise<LineGate> {
  const pairs: PtyPair[] = [];
  const ports: SerialPort[] = [];
  const stop = async (): Promise<void> => {
    for (const p of ports) if (p.isOpen) await new Promise<void>((r) => p.close(() => r()));
    for (const pair of pairs) await pair.stop();
  };
  try {
    pairs.push(await createPtyPair());
    pairs.push(await createPtyPair());
    const [master, slave] = pairs as [PtyPair, PtyPair];
    const fromMaster = await openRaw(master.b);
    ports.push(fromMaster);
    const toSlave = await openRaw(slave.a);
    ports.push(toSlave);
    let current: LineSettingsLike | undefined;
    let relayed = 0;
    let garbled = 0;
    const matches = (): boolean => current !== undefined && current.baudRate === line.baudRate && current.parity === line.parity;
    const relay = (chunk: Buffer, to: SerialPort): void => {
      if (matches()) {
        relayed += chunk.length;
        to.write(chunk);
      } else {
        garbled += chunk.length;
        to.write(garble(chunk));
      }
    };
    fromMaster.on('data', (c: Buffer) => relay(c, toSlave));
    toSlave.on('data', (c: Buffer) => relay(c, fromMaster));
    return {
      masterPath: master.a,
      slavePath: slave.b,
      setMaster: (s) => {
        current = { baudRate: s.baudRate, parity: s.parity };
      },
      stats: () => ({ relayed, garbled }),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
