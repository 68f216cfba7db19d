/**
 * Fault alarms (故障报警): what a reading's quality says about the instrument, as distinct from what
 * its value says about the process. GB/T 50493-2019 asks that a detector's fault signal be distinct
 * from its gas alarm and that both reach the people on duty; DOMAIN.md §7 gives each not-measuring
 * state its own fault alarm. This table is the one place that maps a reading's reason code to a
 * fault, its scope (one point, or the whole device) and its words.
 */
import { z } from 'zod';
import type { ReasonCode } from './reading.ts';

export const FAULT_CODES = [
  'comm_lost', // device does not answer (Modbus silence, logger silent, HJ 212 flag B)
  'sensor_fault', // the device reports a fault (status word, HJ 212 flag D)
  'calibration', // in calibration (HJ 212 flag C)
  'maintenance', // in maintenance / inhibited (HJ 212 flag M)
  'warmup', // warming up after power-on
  'stopped', // stopped (HJ 212 flag F)
  'no_fix', // GNSS without a usable fix
  'under_range', // below the measuring range beyond tolerance (negative drift, broken loop)
  'over_range', // above the measuring range on a point with no high limit to raise instead
  'out_of_range', // outside the range, direction unknown (no range and no limit to compare)
  'bad_data', // the device answers, but with exceptions or undecodable values
  'bad_time', // the device's clock disagrees with the gateway's beyond the tolerance
] as const;
export const FaultCodeSchema = z.enum(FAULT_CODES);
export type FaultCode = z.infer<typeof FaultCodeSchema>;

/** A device-scope fault is one alarm per device (all its points share it); a point-scope one per point. */
export type FaultScope = 'device' | 'point';

export const FAULT_SCOPE: Record<FaultCode, FaultScope> = {
  comm_lost: 'device',
  sensor_fault: 'point',
  calibration: 'point',
  maintenance: 'point',
  warmup: 'point',
  stopped: 'device',
  no_fix: 'point',
  under_range: 'point',
  over_range: 'point',
  out_of_range: 'point',
  bad_data: 'point',
  bad_time: 'device',
};

export const FAULT_LABELS: Record<FaultCode, { zh: string; en: string }> = {
  comm_lost: { zh: '通信中断', en: 'Communication lost' },
  sensor_fault: { zh: '传感器故障', en: 'Sensor fault' },
  calibration: { zh: '标定中', en: 'In calibration' },
  maintenance: { zh: '维护中', en: 'In maintenance' },
  warmup: { zh: '预热中', en: 'Warming up' },
  stopped: { zh: '设备停运', en: 'Device stopped' },
  no_fix: { zh: '无有效定位', en: 'No GNSS fix' },
  under_range: { zh: '低于量程（故障）', en: 'Below measuring range (fault)' },
  over_range: { zh: '超量程', en: 'Above measuring range' },
  out_of_range: { zh: '超出量程', en: 'Outside measuring range' },
  bad_data: { zh: '数据异常', en: 'Invalid data' },
  bad_time: { zh: '设备时钟异常', en: 'Device clock wrong' },
};

/** Reasons that only say "no answer this time": not fresh, but not a fault alarm of their own (comm_lost follows). */
export const TRANSIENT_REASONS: ReadonlySet<ReasonCode> = new Set<ReasonCode>(['timeout', 'crc_error', 'short_frame', 'stale', 'gap']);

/**
 * The fault a reason raises on its own (out-of-range needs the value and the range; see the evaluator).
 * Reasons not listed (timeout, stale, manual, gap, bridge_flag) raise no fault alarm.
 */
export const FAULT_FOR_REASON: Partial<Record<ReasonCode, FaultCode>> = {
  comm_lost: 'comm_lost',
  sensor_fault: 'sensor_fault',
  calibration: 'calibration',
  maintenance: 'maintenance',
  warmup: 'warmup',
  stopped: 'stopped',
  no_fix: 'no_fix',
  exception: 'bad_data',
  decode_error: 'bad_data',
  bad_time: 'bad_time',
};

/** Condition key of a fault alarm: `fault:{site/device}:{code}` or `fault:{site/device/point}:{code}`. */
export function faultConditionKey(subject: string, code: FaultCode): string {
  return `fault:${subject}:${code}`;
}

/** The subject a fault of this code is raised on for a reading of `point` (`site/device/point`). */
export function faultSubject(point: string, code: FaultCode): string {
  return FAULT_SCOPE[code] === 'device' ? point.slice(0, point.lastIndexOf('/')) : point;
}
