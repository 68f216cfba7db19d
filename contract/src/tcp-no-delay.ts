/**
 * TCP_NODELAY for MQTT connections. With Nagle's algorithm on, a small packet written while an earlier
 * segment is still unacknowledged waits for that acknowledgement — and the peer delays acknowledgements
 * for up to 40 ms. An alarm published right behind a big telemetry batch (gateway → broker, broker →
 * ingest worker) then waits for a timer, not for the network: measured in the latency bench, publish →
 * received by the worker was p50 7–10 ms with Nagle, under 2 ms without (docs/BENCHMARKS.md, round 8).
 * MQTT packets are written whole (mqtt.js corks the socket per packet), so turning Nagle off does not
 * split them into more segments.
 */

/** Turn Nagle off on a client's current stream (a TCP or TLS socket; other streams are left alone). */
export function mqttNoDelay(client: { stream?: unknown }): void {
  const stream = client.stream as { setNoDelay?: (noDelay?: boolean) => unknown } | undefined;
  if (typeof stream?.setNoDelay === 'function') stream.setNoDelay(true);
}
