/** Outbound channel interfaces and the local test implementations. */

export interface SmsVoiceMessage {
  to: string;
  kind: 'sms' | 'voice';
  text: string;
}

/** An SMS / voice-call provider (a real one wraps a carrier or cloud API). */
export interface SmsVoiceProvider {
  send(message: SmsVoiceMessage): Promise<void>;
}

/** Records what it would send; can be told to fail (tests of channel isolation). */
export class RecordingSmsProvider implements SmsVoiceProvider {
  readonly sent: SmsVoiceMessage[] = [];
  failWith: Error | undefined;
  send(message: SmsVoiceMessage): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.sent.push(message);
    return Promise.resolve();
  }
}

export interface SirenCommand {
  gatewayId: string;
  action: 'silence' | 'reset';
  /** The siren output point, when one is known. */
  point?: string;
  /** Why: the alarm id. */
  alarmId: string;
}

/** Sends a siren command to a gateway (the composition root connects it to the MQTT `down/cmd` topic). */
export interface SirenCommander {
  sendSiren(cmd: SirenCommand): Promise<void>;
}

export class RecordingSirenCommander implements SirenCommander {
  readonly sent: SirenCommand[] = [];
  sendSiren(cmd: SirenCommand): Promise<void> {
    this.sent.push(cmd);
    return Promise.resolve();
  }
}
