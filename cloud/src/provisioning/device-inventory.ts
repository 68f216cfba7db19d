/**
 * What the cloud knows of a site's devices: the desired configuration of each gateway serving it lists
 * them (id, name, profile, transport, poll interval). The cloud reads that document as data — it never
 * imports the gateway's config module — and keeps only well-formed entries.
 */
export interface DeviceSummary {
  id: string;
  gatewayId: string;
  name?: string;
  profileId?: string;
  pollIntervalMs?: number;
  /** The transport as configured: kind (modbus-tcp, modbus-rtu, opcua, hj212, nmea …) and its address fields. */
  transport?: { kind: string; host?: string; port?: number; unitId?: number; path?: string; baudRate?: number; endpoint?: string };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 && v.length <= 300 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function devicesFromConfig(gatewayId: string, config: unknown): DeviceSummary[] {
  const devices = (config as { devices?: unknown } | null)?.devices;
  if (!Array.isArray(devices)) return [];
  const out: DeviceSummary[] = [];
  for (const d of devices as Record<string, unknown>[]) {
    const id = str(d?.id);
    if (!id) continue;
    const t = d.transport as Record<string, unknown> | undefined;
    const kind = str(t?.kind);
    const transport = kind
      ? Object.fromEntries(
          Object.entries({ kind, host: str(t?.host), port: num(t?.port), unitId: num(t?.unitId), path: str(t?.path), baudRate: num(t?.baudRate), endpoint: str(t?.endpoint) }).filter(([, v]) => v !== undefined),
        )
      : undefined;
    const entry: DeviceSummary = { id, gatewayId };
    const name = str(d.name);
    const profileId = str(d.profile);
    const poll = num(d.pollIntervalMs);
    if (name !== undefined) entry.name = name;
    if (profileId !== undefined) entry.profileId = profileId;
    if (poll !== undefined) entry.pollIntervalMs = poll;
    if (transport) entry.transport = transport as NonNullable<DeviceSummary['transport']>;
    out.push(entry);
  }
  return out;
}
