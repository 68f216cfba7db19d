/**
 * Drives one siren output to the state the siren wants: writes the coil or register through the
 * device's bus (between polls, one request at a time) and the device's write allow-list, remembers
 * what the device confirmed, and retries a failed write (device silent, bus stopped during a
 * restart, rate limit) until the output matches. A write is never assumed: the output is `unknown`
 * until the first write succeeds.
 */
import { errorMessage, type Logger, type ReadingSource } from '@safeloop/contract';
import type { DeviceInstance } from '../field/config.ts';
import type { ModbusBus } from '../field/modbus-bus.ts';
import { busKey } from '../field/sources.ts';
import { createWriteGuard, guardedWrite, type WriteGuard } from '../field/write-guard.ts';
import type { SirenOutputConfig } from './config.ts';

export type WriteResult = { ok: true; on: boolean } | { ok: false; on: boolean; error: string };

export class SirenOutput {
  private desired = false;
  private written: boolean | undefined;
  private writing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly guard: WriteGuard;
  private readonly unitId: number;
  private readonly timeoutMs: number;

  constructor(
    readonly config: SirenOutputConfig,
    private readonly device: DeviceInstance,
    private readonly deps: { buses: () => readonly ReadingSource[]; retryMs: number; logger: Logger; onWritten: (r: WriteResult) => void },
  ) {
    this.guard = createWriteGuard(device.writeAllow ?? []);
    this.unitId = device.transport.kind === 'opcua' ? 0 : device.transport.unitId;
    this.timeoutMs = device.transport.kind === 'opcua' ? 1000 : device.transport.timeoutMs;
  }

  /** What the device last confirmed (undefined before the first successful write). */
  get state(): boolean | undefined {
    return this.written;
  }

  set(on: boolean): void {
    this.desired = on;
    this.reconcile();
  }

  private bus(): ModbusBus | undefined {
    const key = busKey(this.device);
    const s = this.deps.buses().find((x) => x.id === key);
    return s && 'run' in s ? (s as ModbusBus) : undefined;
  }

  private reconcile(): void {
    if (this.stopped || this.writing || this.desired === this.written) return;
    const on = this.desired;
    const bus = this.bus();
    if (!bus) {
      this.failed(on, `no running bus for device ${this.device.id}`);
      return;
    }
    this.writing = true;
    const value = on ? this.config.onValue : this.config.offValue;
    bus
      .run((driver) => guardedWrite(this.guard, driver, { unitId: this.unitId, table: this.config.table, start: this.config.address, values: [value] }, { timeoutMs: this.timeoutMs }))
      .then(
        () => {
          this.writing = false;
          this.written = on;
          this.deps.onWritten({ ok: true, on });
          this.reconcile();
        },
        (err: unknown) => {
          this.writing = false;
          this.failed(on, errorMessage(err));
        },
      );
  }

  private failed(on: boolean, error: string): void {
    this.deps.onWritten({ ok: false, on, error });
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.reconcile();
    }, this.deps.retryMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
