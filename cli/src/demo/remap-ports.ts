/**
 * Rewrite every `port: N` (and `…:N` inside OPC-UA endpoints) in the demo's rig and gateway configs
 * through one map, so tests can run the whole demo on free ports without editing YAML.
 */
export function remapPorts<T>(value: T, map: ReadonlyMap<number, number>): T {
  const walk = (v: unknown, key?: string): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x));
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x, k)]));
    }
    if (typeof v === 'number' && (key === 'port' || key === 'tcpPort') && map.has(v)) return map.get(v);
    if (typeof v === 'string') {
      return v.replace(/^((?:opc\.tcp|mqtt|mqtts|tcp):\/\/[^/:]+):(\d+)/, (m: string, head: string, port: string) => {
        const to = map.get(Number(port));
        return to === undefined ? m : `${head}:${to}`;
      });
    }
    return v;
  };
  return walk(value) as T;
}
