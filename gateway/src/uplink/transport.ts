/**
 * The one interface both uplink transports implement. A TransportConnection is one MQTT connection:
 * the Uplink opens a new one per attempt (so every CONNECT carries a will with a fresh bdSeq), and the
 * transport never reconnects or queues on its own — the journal is the only store.
 */
export interface TransportHandlers {
  onMessage(topic: string, payload: Buffer): void;
  /** The connection is gone (broker closed it, socket error, keepalive timeout). Called once. */
  onClose(reason: string): void;
}

export interface ConnectParams {
  clientId: string;
  /** Registered as the MQTT will: QoS 1, not retained. */
  will: { topic: string; payload: string };
  keepaliveSec: number;
  connectTimeoutMs: number;
  handlers: TransportHandlers;
}

export interface TransportConnection {
  /** Subscribe at QoS 1; rejects on a SUBACK failure code. */
  subscribe(filter: string): Promise<void>;
  /** Publish at QoS 1; resolves on a successful PUBACK, rejects on a failure reason code or a closed link. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  /** Clean DISCONNECT (the will is not sent). */
  end(): Promise<void>;
  /** Drop the link at once, no DISCONNECT (used when the link is judged dead). */
  destroy(): void;
}

export interface UplinkTransport {
  readonly name: string;
  /** Resolves once CONNACK accepted the session; rejects on refusal, timeout or socket error. */
  connect(params: ConnectParams): Promise<TransportConnection>;
}
