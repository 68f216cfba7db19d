/** Test doubles (never used in production wiring): a siren commander that records what it would send. */
import type { SirenCommand, SirenCommander } from '../../src/notify/index.ts';

export class RecordingSirenCommander implements SirenCommander {
  readonly sent: SirenCommand[] = [];
  sendSiren(cmd: SirenCommand): Promise<void> {
    this.sent.push(cmd);
    return Promise.resolve();
  }
}
