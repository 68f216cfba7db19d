/** Runs the persisted alarm timers on an interval. Several workers may run one each (PostgreSQL). */
import { errorMessage, type Clock, type Logger } from '@safeloop/contract';
import type { AlarmService } from './alarm-service.ts';

export class EscalationScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: { alarms: AlarmService; clock: Clock; logger: Logger; intervalMs?: number }) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running = this.tick(this.deps.clock.now()).catch((err: unknown) =>
        this.deps.logger.error({ err: errorMessage(err) }, 'escalation tick failed'),
      );
    }, this.deps.intervalMs ?? 5_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Fire every timer due at `now` (tests call this with a fake time). Returns how many fired. */
  async tick(now: number): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.deps.alarms.processDueTimers(now, 100);
      total += n;
      if (n < 100) return total;
    }
  }
}
