/**
 * Bridge instances in the gateway config (HJ 212 listener, NMEA GNSS reader, line-protocol parser).
 * Owned by firmware-bridges; the gateway config composes BridgeConfigSchema.
 * Every threshold, interval and timer here is data with a documented default (DOMAIN.md §0).
 */
import { z } from 'zod';
import { AlarmLimitSchema, IdSchema } from '@safeloop/contract';

/** Engineering transform shared by every bridge point: value = raw × scale + offset, then range check. */
const TransformFields = {
  unit: z.string().max(32).optional(),
  scale: z.number().finite().default(1),
  offset: z.number().finite().default(0),
  /** Measuring range in engineering units; a value outside reads bad `out_of_range`. */
  range: z
    .object({ min: z.number().finite(), max: z.number().finite() })
    .refine((r) => r.min <= r.max, 'range.min must be <= range.max')
    .optional(),
  /** Alarm limits for this point, evaluated by the gateway's edge rules. */
  limits: z.array(AlarmLimitSchema).default([]),
};

// ---------------------------------------------------------------- HJ 212-2017

export const HJ212_FIELDS = ['Rtd', 'Avg', 'Max', 'Min', 'Cou', 'ZsRtd', 'ZsAvg', 'ZsMax', 'ZsMin', 'RS'] as const;
export const HJ212_DATA_COMMANDS = ['2011', '2051', '2061', '2031'] as const;

export const Hj212PointSchema = z.object({
  /** Pollutant / parameter code as sent, e.g. `a21028` (H₂S) or `SB1` for a device status. */
  code: z.string().regex(/^[A-Za-z0-9]{1,16}$/, 'must be 1-16 letters or digits'),
  field: z.enum(HJ212_FIELDS).default('Rtd'),
  pointId: IdSchema,
  /**
   * Commands whose data feed this point. Default: `Rtd`/`ZsRtd`/`RS` from 2011 only, the other
   * fields from 2051/2061/2031 alike (set one command to keep minute, hour and day apart).
   */
  commands: z.array(z.enum(HJ212_DATA_COMMANDS)).min(1).optional(),
  ...TransformFields,
});
export type Hj212Point = z.infer<typeof Hj212PointSchema>;

export const Hj212LoggerSchema = z
  .object({
    /** Logger identity: 24 characters in the standard; real loggers vary, so 1-64 printable characters. */
    mn: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
    /** The 6-character access password (PW) the logger must send. */
    password: z.string().min(1).max(32),
    deviceId: IdSchema,
    name: z.string().max(100).optional(),
    /** Seconds without any authenticated frame before the logger's real-time points read bad `comm_lost` (0 = never). */
    commLossSec: z.number().int().min(0).max(86_400).default(300),
    points: z.array(Hj212PointSchema).min(1),
  })
  .superRefine((logger, ctx) => {
    const ids = new Set<string>();
    logger.points.forEach((p, i) => {
      if (ids.has(p.pointId)) ctx.addIssue({ code: 'custom', path: ['points', i, 'pointId'], message: `duplicate point id ${p.pointId}` });
      ids.add(p.pointId);
    });
  });
export type Hj212Logger = z.infer<typeof Hj212LoggerSchema>;

export const Hj212BridgeSchema = z
  .object({
    kind: z.literal('hj212'),
    id: IdSchema,
    site: IdSchema.optional(),
    listen: z.object({ host: z.string().default('0.0.0.0'), port: z.number().int().min(0).max(65535) }),
    /** Largest data segment accepted, in bytes (the standard allows 0-1024). */
    maxDataLength: z.number().int().min(64).max(8192).default(1024),
    maxConnections: z.number().int().min(1).max(10_000).default(256),
    /** A connection that sends no complete valid frame for this long is closed. */
    idleTimeoutSec: z.number().int().min(1).max(86_400).default(900),
    /** Bytes of non-frame input a connection may send before it is closed. */
    maxGarbageBytes: z.number().int().min(16).max(1_048_576).default(8192),
    /** Time allowed for all packets of a split (PNUM/PNO) upload to arrive. */
    reassemblyTimeoutSec: z.number().int().min(1).max(3600).default(60),
    /** Offset of the loggers' DataTime from UTC in minutes (Beijing time = 480). */
    utcOffsetMinutes: z.number().int().min(-720).max(840).default(480),
    /** Send 9014/9013/9011 replies when a frame's Flag asks for one. */
    replies: z.boolean().default(true),
    loggers: z.array(Hj212LoggerSchema).default([]),
  })
  .superRefine((bridge, ctx) => {
    const mns = new Set<string>();
    const devices = new Set<string>();
    bridge.loggers.forEach((l, i) => {
      if (mns.has(l.mn)) ctx.addIssue({ code: 'custom', path: ['loggers', i, 'mn'], message: `duplicate logger MN ${l.mn}` });
      if (devices.has(l.deviceId)) ctx.addIssue({ code: 'custom', path: ['loggers', i, 'deviceId'], message: `duplicate device id ${l.deviceId}` });
      mns.add(l.mn);
      devices.add(l.deviceId);
    });
  });
export type Hj212BridgeConfig = z.infer<typeof Hj212BridgeSchema>;

// ---------------------------------------------------------------- serial / TCP line transports

export const SerialLineTransportSchema = z.object({
  kind: z.literal('serial'),
  path: z.string().min(1),
  baudRate: z.number().int().min(300).max(921_600).default(9600),
  parity: z.enum(['none', 'even', 'odd']).default('none'),
  dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
  stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
});

export const TcpLineTransportSchema = z.object({
  kind: z.literal('tcp'),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

export const LineTransportSchema = z.discriminatedUnion('kind', [SerialLineTransportSchema, TcpLineTransportSchema]);
export type LineTransportConfig = z.infer<typeof LineTransportSchema>;

const TransportTimingFields = {
  /** Seconds without any valid input before the device's points read bad `comm_lost` and the link is reopened. */
  commLossSec: z.number().int().min(1).max(86_400).default(30),
  /** Longest accepted line in bytes; longer input is dropped as garbage. */
  maxLineLength: z.number().int().min(16).max(8192).default(1024),
  /** Reconnect backoff bounds. */
  reconnectMinMs: z.number().int().min(10).max(60_000).default(1000),
  reconnectMaxMs: z.number().int().min(10).max(600_000).default(30_000),
};

// ---------------------------------------------------------------- NMEA 0183 GNSS

export const GNSS_QUANTITIES = ['east', 'north', 'up', 'horizontal', 'total', 'horizontalRate', 'upRate'] as const;
export type GnssQuantity = (typeof GNSS_QUANTITIES)[number];

export const GnssPointSchema = z.object({
  quantity: z.enum(GNSS_QUANTITIES),
  pointId: IdSchema,
  limits: z.array(AlarmLimitSchema).default([]),
});
export type GnssPoint = z.infer<typeof GnssPointSchema>;

const DEFAULT_GNSS_POINTS = [
  { quantity: 'east', pointId: 'disp_e', limits: [] },
  { quantity: 'north', pointId: 'disp_n', limits: [] },
  { quantity: 'up', pointId: 'disp_u', limits: [] },
  { quantity: 'horizontal', pointId: 'disp_h', limits: [] },
  { quantity: 'horizontalRate', pointId: 'disp_h_rate', limits: [] },
] satisfies GnssPoint[];

export const NmeaBridgeSchema = z
  .object({
    kind: z.literal('nmea'),
    id: IdSchema,
    site: IdSchema.optional(),
    deviceId: IdSchema,
    name: z.string().max(100).optional(),
    transport: LineTransportSchema,
    /** Installed reference position: WGS-84 latitude/longitude in degrees, ellipsoidal height in m (GGA altitude + geoid separation). */
    baseline: z.object({
      lat: z.number().min(-90).max(90),
      lon: z.number().min(-180).max(180),
      h: z.number().min(-1000).max(10_000),
    }),
    /** GGA fix qualities read good and uncertain; any other reads bad `no_fix` (DOMAIN.md §10). */
    goodFixQualities: z.array(z.number().int().min(0).max(9)).default([4]),
    uncertainFixQualities: z.array(z.number().int().min(0).max(9)).default([5]),
    /** A good fix with fewer satellites or a larger HDOP reads uncertain. */
    minSatellites: z.number().int().min(0).max(99).default(5),
    maxHdop: z.number().positive().default(4),
    /** With GST present: a good fix whose horizontal 1-sigma error exceeds this (mm) reads uncertain. */
    maxSigmaMm: z.number().positive().optional(),
    /** Average fixes over a tumbling window and emit one reading per window (0 = every fix). */
    averagingSec: z.number().int().min(0).max(86_400).default(0),
    /** Displacement rate: look-back window and unit. */
    rateWindowSec: z.number().int().min(1).max(30 * 86_400).default(3600),
    rateUnit: z.enum(['mm/d', 'mm/h']).default('mm/d'),
    points: z.array(GnssPointSchema).min(1).default(DEFAULT_GNSS_POINTS),
    ...TransportTimingFields,
  })
  .superRefine((bridge, ctx) => {
    const ids = new Set<string>();
    bridge.points.forEach((p, i) => {
      if (ids.has(p.pointId)) ctx.addIssue({ code: 'custom', path: ['points', i, 'pointId'], message: `duplicate point id ${p.pointId}` });
      ids.add(p.pointId);
    });
  });
export type NmeaBridgeConfig = z.infer<typeof NmeaBridgeSchema>;

// ---------------------------------------------------------------- line-protocol instruments

export const LinePointSchema = z
  .object({
    pointId: IdSchema,
    /** Named group of `parse.pattern` (regex parsing) … */
    group: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    /** … or 0-based field position (delimited parsing). */
    field: z.number().int().min(0).max(255).optional(),
    ...TransformFields,
  })
  .refine((p) => (p.group === undefined) !== (p.field === undefined), 'give exactly one of group or field');
export type LinePoint = z.infer<typeof LinePointSchema>;

export const LineParseSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('regex'),
    /** JavaScript regular expression with named groups, matched against the whole line. */
    pattern: z.string().min(1).max(1000),
    flags: z.string().regex(/^[imsu]*$/, 'only i, m, s, u flags').default(''),
  }),
  z.object({
    kind: z.literal('delimited'),
    delimiter: z.string().min(1).max(8).default(','),
    /** Exact field count a valid line has (optional). */
    fieldCount: z.number().int().min(1).max(256).optional(),
    /** Only lines starting with this text are parsed (others ignored and counted). */
    prefix: z.string().max(32).optional(),
    trim: z.boolean().default(true),
  }),
]);
export type LineParseConfig = z.infer<typeof LineParseSchema>;

export const LineBridgeSchema = z
  .object({
    kind: z.literal('line'),
    id: IdSchema,
    site: IdSchema.optional(),
    deviceId: IdSchema,
    name: z.string().max(100).optional(),
    transport: LineTransportSchema,
    parse: LineParseSchema,
    points: z.array(LinePointSchema).min(1),
    ...TransportTimingFields,
  })
  .superRefine((bridge, ctx) => {
    const ids = new Set<string>();
    let groups: Set<string> | undefined;
    if (bridge.parse.kind === 'regex') {
      try {
        const re = new RegExp(bridge.parse.pattern, bridge.parse.flags);
        groups = new Set(Array.from(bridge.parse.pattern.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g), (m) => m[1] ?? ''));
        void re;
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['parse', 'pattern'], message: `invalid regular expression: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    bridge.points.forEach((p, i) => {
      if (ids.has(p.pointId)) ctx.addIssue({ code: 'custom', path: ['points', i, 'pointId'], message: `duplicate point id ${p.pointId}` });
      ids.add(p.pointId);
      if (bridge.parse.kind === 'regex' && p.group === undefined) {
        ctx.addIssue({ code: 'custom', path: ['points', i, 'group'], message: 'regex parsing needs a named group per point' });
      }
      if (bridge.parse.kind === 'regex' && p.group !== undefined && groups !== undefined && !groups.has(p.group)) {
        ctx.addIssue({ code: 'custom', path: ['points', i, 'group'], message: `pattern has no named group ${p.group}` });
      }
      if (bridge.parse.kind === 'delimited' && p.field === undefined) {
        ctx.addIssue({ code: 'custom', path: ['points', i, 'field'], message: 'delimited parsing needs a field position per point' });
      }
    });
  });
export type LineBridgeConfig = z.infer<typeof LineBridgeSchema>;

export const BridgeConfigSchema = z.discriminatedUnion('kind', [Hj212BridgeSchema, NmeaBridgeSchema, LineBridgeSchema]);
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>;
export type BridgeConfigInput = z.input<typeof BridgeConfigSchema>;
