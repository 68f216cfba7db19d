/**
 * @safeloop/firmware-bridges: HJ 212-2017 data loggers, NMEA 0183 GNSS receivers and line-protocol
 * instruments, each turned into the same Reading[] the Modbus and OPC-UA drivers produce.
 */
export * from './config.ts';
export * from './create-bridge-sources.ts';
export * from './metrics.ts';
export * from './point-catalogue.ts';
export * from './value-rules.ts';
export { Hj212Listener, type Hj212ListenerDeps } from './hj212/listener.ts';
export { hj212Crc, hj212CrcHex } from './hj212/crc.ts';
export {
  buildDataSegment,
  buildHj212Frame,
  buildHj212PacketFrame,
  flagAsksReply,
  flagIsSplit,
  formatQn,
  parseCp,
  parseDataSegment,
  parseHj212Frame,
  parseHj212Time,
  HJ212_FRAME_OVERHEAD,
  HJ212_MAX_DATA_LENGTH,
  type Hj212Packet,
  type Hj212ParseResult,
  type Hj212RejectReason,
} from './hj212/frame.ts';
export { Hj212FrameScanner, type ScanEvent } from './hj212/frame-scanner.ts';
export { HJ212_FLAG_QUALITY, hj212FlagQuality } from './hj212/flags.ts';
export { mapHj212Data } from './hj212/map-data.ts';
export { NmeaSource, gnssPointUnit } from './nmea/nmea-source.ts';
export { buildNmeaSentence, formatLatLon, nmeaChecksum, parseNmeaSentence, type NmeaSentence, type NmeaParseResult } from './nmea/sentence.ts';
export { ecefToGeodetic, enuToGeodetic, geodeticToEcef, geodeticToEnu, WGS84_A, WGS84_E2, WGS84_F, type Enu, type Geodetic } from './nmea/geodesy.ts';
export { DisplacementTracker, horizontalMm, type DisplacementSample, type Fix } from './nmea/displacement.ts';
export { fixFromEpoch, epochTimeMs } from './nmea/epoch.ts';
export { LineSource } from './line/line-source.ts';
export { makeLineParser, type LineParser, type LineParseResult } from './line/line-parser.ts';
