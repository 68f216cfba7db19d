/**
 * Bridge counters as a plain interface, so the gateway can feed Prometheus, logs or nothing.
 * Names used by the bridges (labels always include `bridge`):
 * - `bridge_rejected_total` {bridge, kind, reason, source} — every rejected frame/line/connection;
 *   `source` is the logger MN when known, else the remote IP, or the device id for serial/TCP readers.
 * - `bridge_frames_total` {bridge, kind, source, command} — accepted frames / sentences / lines.
 * - `bridge_readings_total` {bridge, kind} — readings handed to the sink (incremented by the count).
 * - `bridge_connections_total` {bridge, kind, event} — open, close, refused, idle_timeout, link_lost.
 * - `bridge_unknown_codes_total` {bridge, source, code} — HJ 212 codes without a mapped point.
 */
export interface BridgeMetrics {
  inc(name: string, labels: Readonly<Record<string, string>>, by?: number): void;
}

export const noopBridgeMetrics: BridgeMetrics = { inc: () => undefined };

/** In-memory counters (tests, `safeloop` status output): key = name + sorted labels. */
export interface CountingBridgeMetrics extends BridgeMetrics {
  get(name: string, labels?: Readonly<Record<string, string>>): number;
  snapshot(): { name: string; labels: Record<string, string>; value: number }[];
}

export function createCountingMetrics(): CountingBridgeMetrics {
  const counters = new Map<string, { name: string; labels: Record<string, string>; value: number }>();
  const key = (name: string, labels: Readonly<Record<string, string>>): string =>
    `${name}{${Object.keys(labels).sort().map((k) => `${k}=${labels[k] ?? ''}`).join(',')}}`;
  return {
    inc(name, labels, by = 1) {
      const k = key(name, labels);
      const entry = counters.get(k);
      if (entry) entry.value += by;
      else counters.set(k, { name, labels: { ...labels }, value: by });
    },
    /** Sum over every counter of `name` whose labels include all of `labels`. */
    get(name, labels = {}) {
      let total = 0;
      for (const c of counters.values()) {
        if (c.name !== name) continue;
        if (Object.entries(labels).every(([k, v]) => c.labels[k] === v)) total += c.value;
      }
      return total;
    },
    snapshot() {
      return [...counters.values()].map((c) => ({ ...c, labels: { ...c.labels } }));
    },
  };
}
