/** The siren channel's interface: the cloud asks a site's gateways to silence or reset the local siren. */

export interface SirenCommand {
  gatewayId: string;
  action: 'silence' | 'reset';
  /** The alarm's point, when it has one (the gateway silences what that point sounded). */
  point?: string;
  /** Why: the alarm id. */
  alarmId: string;
}

/** Sends a siren command to a gateway (the composition root connects it to the MQTT `down/cmd` topic). */
export interface SirenCommander {
  sendSiren(cmd: SirenCommand): Promise<void>;
}
