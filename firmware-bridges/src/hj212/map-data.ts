/**
 * Turn an authenticated HJ 212 data upload (2011 real-time, 2051 minute, 2061 hour, 2031 day) into
 * readings through the logger's profile. Minute/hour/day values are marked historical; their
 * DataTime is the period start and becomes the source time.
 */
import { pointPath, type Reading } from '@safeloop/contract';
import { HJ212_DATA_COMMANDS, type Hj212Logger, type Hj212Point } from '../config.ts';
import { isSaneEpochMs, makeReading, worseQuality } from '../reading-builder.ts';
import { applyValueRules } from '../value-rules.ts';
import { hj212FlagQuality } from './flags.ts';
import { parseCp, parseHj212Time, type Hj212Packet } from './frame.ts';

export type Hj212DataCommand = (typeof HJ212_DATA_COMMANDS)[number];

export function isDataCommand(cn: string): cn is Hj212DataCommand {
  return (HJ212_DATA_COMMANDS as readonly string[]).includes(cn);
}

const REALTIME_FIELDS = new Set(['Rtd', 'ZsRtd', 'RS']);

export function pointAppliesTo(point: Hj212Point, cn: Hj212DataCommand): boolean {
  if (point.commands) return point.commands.includes(cn);
  return REALTIME_FIELDS.has(point.field) ? cn === '2011' : cn !== '2011';
}

const VALUE_NAME = /^([A-Za-z0-9]{1,16})-(Rtd|Avg|Max|Min|Cou|ZsRtd|ZsAvg|ZsMax|ZsMin|RS|Flag|EFlag|SampleTime)$/;

export type MapResult =
  | { ok: true; readings: Reading[]; unknownCodes: string[] }
  | { ok: false; reason: 'bad_datatime' | 'unknown_command'; detail: string };

export function mapHj212Data(args: {
  packet: Hj212Packet;
  logger: Hj212Logger;
  site: string;
  utcOffsetMinutes: number;
  gatewayTime: number;
}): MapResult {
  const { packet, logger } = args;
  const cn = packet.cn;
  if (!isDataCommand(cn)) return { ok: false, reason: 'unknown_command', detail: `CN ${cn} is not a data upload` };
  const cp = parseCp(packet.cp);
  const timeText = cp.get('DataTime');
  const sourceTime = timeText === undefined ? undefined : parseHj212Time(timeText, args.utcOffsetMinutes);
  if (sourceTime === undefined || !isSaneEpochMs(sourceTime)) {
    return { ok: false, reason: 'bad_datatime', detail: `DataTime ${JSON.stringify(timeText?.slice(0, 20) ?? null)} missing or invalid` };
  }
  const historical = cn !== '2011';
  const readings: Reading[] = [];
  for (const point of logger.points) {
    if (!pointAppliesTo(point, cn)) continue;
    const raw = cp.get(`${point.code}-${point.field}`);
    if (raw === undefined) continue;
    const ruled = applyValueRules(raw, point);
    const flagged = point.field === 'RS' ? { quality: 'good' as const } : hj212FlagQuality(cp.get(`${point.code}-Flag`));
    const q = worseQuality<{ quality: Reading['quality']; reason?: Reading['reason']; detail?: string }>(flagged, ruled);
    readings.push(
      makeReading({
        point: pointPath(args.site, logger.deviceId, point.pointId),
        value: ruled.value,
        unit: point.unit,
        quality: q.quality,
        reason: q.reason,
        detail: q.detail,
        sourceTime,
        gatewayTime: args.gatewayTime,
        historical,
      }),
    );
  }
  const known = new Set(logger.points.map((p) => p.code));
  const unknown = new Set<string>();
  for (const name of cp.keys()) {
    const m = VALUE_NAME.exec(name);
    if (m?.[1] !== undefined && !known.has(m[1])) unknown.add(m[1]);
  }
  return { ok: true, readings, unknownCodes: [...unknown] };
}
