/**
 * Cross-field checks on a structurally valid profile: unique ids, units where needed, ranges and limits that
 * make sense, bit/length fields that fit the type, registers that do not overlap, status registers
 * that cover real points. Attached to DeviceProfileSchema with superRefine; each problem has a path.
 */
import type { AlarmLimit } from '@safeloop/contract';
import { isNumericType, pointSpan } from './register-codec.ts';
import type { ModbusProfile, OpcuaProfile, Range } from './schema.ts';

export interface SemanticProblem {
  path: (string | number)[];
  message: string;
}

const NUMERIC_OPCUA = new Set(['SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Float', 'Double']);
const HIGH_ONLY = new Set(['H', 'HH']);
const LOW_ONLY = new Set(['L', 'LL']);

export function checkProfileSemantics(profile: ModbusProfile | OpcuaProfile): SemanticProblem[] {
  const problems: SemanticProblem[] = [];
  const add = (path: (string | number)[], message: string): void => {
    problems.push({ path, message });
  };

  const seen = new Map<string, number>();
  profile.points.forEach((point, i) => {
    const base = ['points', i];
    const first = seen.get(point.id);
    if (first !== undefined) add([...base, 'id'], `duplicate point id "${point.id}" (also points.${first})`);
    else seen.set(point.id, i);

    const numeric = 'nodeId' in point ? NUMERIC_OPCUA.has(point.dataType) : isNumericType(point.type);
    if (numeric) {
      if (point.unit === undefined) add([...base, 'unit'], 'a numeric point needs a unit');
      if (point.range === undefined) add([...base, 'range'], 'a numeric point needs a measuring range');
    } else {
      if (point.range !== undefined) add([...base, 'range'], 'only numeric points have a range');
      if (point.limits.length > 0) add([...base, 'limits'], 'only numeric points have alarm limits');
      if (point.scale !== 1 || point.offset !== 0) add([...base, 'scale'], 'only numeric points are scaled');
    }
    if (point.range !== undefined) checkRange(point.range, [...base, 'range'], add);
    checkLimits(point.limits, point.range, [...base, 'limits'], add);
  });

  if (profile.protocol === 'modbus') checkModbus(profile, add);
  else checkOpcua(profile, add);
  return problems;
}

function checkRange(range: Range, path: (string | number)[], add: (p: (string | number)[], m: string) => void): void {
  if (!(range.min < range.max)) add(path, `range min ${range.min} must be below max ${range.max}`);
}

function checkLimits(
  limits: readonly AlarmLimit[],
  range: Range | undefined,
  path: (string | number)[],
  add: (p: (string | number)[], m: string) => void,
): void {
  const levels = new Map<string, number>();
  limits.forEach((limit, j) => {
    if (levels.has(limit.level)) add([...path, j, 'level'], `limit level ${limit.level} appears twice`);
    levels.set(limit.level, limit.value);
    if (HIGH_ONLY.has(limit.level) && limit.direction !== 'high') add([...path, j, 'direction'], `${limit.level} is a high limit`);
    if (LOW_ONLY.has(limit.level) && limit.direction !== 'low') add([...path, j, 'direction'], `${limit.level} is a low limit`);
    if (range !== undefined && (limit.value < range.min || limit.value > range.max)) {
      add([...path, j, 'value'], `limit ${limit.level} ${limit.value} is outside the measuring range ${range.min}..${range.max}`);
    }
  });
  const ordered = (lower: string, upper: string, why: string): void => {
    const a = levels.get(lower);
    const b = levels.get(upper);
    if (a !== undefined && b !== undefined && !(a < b)) add(path, why);
  };
  ordered('H', 'HH', 'H must be below HH');
  ordered('LL', 'L', 'LL must be below L');
  ordered('L', 'H', 'L must be below H');
  const g1 = limits.find((l) => l.level === 'GAS_1');
  const g2 = limits.find((l) => l.level === 'GAS_2');
  if (g1 && g2 && g1.direction === 'high' && g2.direction === 'high' && !(g1.value < g2.value)) add(path, 'GAS_1 must be below GAS_2');
}

function checkModbus(profile: ModbusProfile, add: (p: (string | number)[], m: string) => void): void {
  const spans: Span[] = [];
  profile.points.forEach((point, i) => {
    const base = ['points', i];
    const bitTable = point.table === 'coil' || point.table === 'discrete';
    if (bitTable && point.type !== 'bool') add([...base, 'type'], `a ${point.table} holds a single bit: type must be bool`);
    if (point.type === 'bit' && point.bit === undefined) add([...base, 'bit'], 'type bit needs bit (0..15)');
    if (point.type !== 'bit' && point.bit !== undefined) add([...base, 'bit'], 'bit is only for type bit');
    if (point.type === 'string' && point.length === undefined) add([...base, 'length'], 'type string needs length (registers)');
    if (point.type !== 'string' && point.length !== undefined) add([...base, 'length'], 'length is only for type string');
    if (point.writable && (point.table === 'input' || point.table === 'discrete')) add([...base, 'writable'], `a ${point.table} is read-only`);
    if (point.sentinels.length > 0 && !isNumericType(point.type)) add([...base, 'sentinels'], 'sentinels are for numeric types');
    const span = pointSpan(point);
    if (point.address + span > 0x10000) add([...base, 'address'], `registers ${point.address}..${point.address + span - 1} run past 65535`);
    spans.push({ table: point.table, start: point.address, end: point.address + span, bit: point.type === 'bit' ? point.bit : undefined, i });
  });
  checkOverlaps(spans, add);

  const ids = new Set(profile.points.map((p) => p.id));
  const statusIds = new Set<string>();
  profile.status.forEach((reg, i) => {
    const base = ['status', i];
    if (statusIds.has(reg.id)) add([...base, 'id'], `duplicate status register id "${reg.id}"`);
    statusIds.add(reg.id);
    if (ids.has(reg.id)) add([...base, 'id'], `status register id "${reg.id}" is also a point id`);
    if (reg.codes.length === 0 && reg.bits.length === 0) add(base, 'a status register needs codes or bits');
    const bitTable = reg.table === 'coil' || reg.table === 'discrete';
    if (bitTable && (reg.bits.length > 0 || reg.mask !== undefined)) add(base, `a ${reg.table} is one bit: use codes 0/1, not bits or mask`);
    if (bitTable) reg.codes.forEach((c, j) => c.value > 1 && add([...base, 'codes', j, 'value'], 'a coil/discrete input is 0 or 1'));
    const codes = new Set<number>();
    reg.codes.forEach((c, j) => {
      if (codes.has(c.value)) add([...base, 'codes', j, 'value'], `code ${c.value} appears twice`);
      codes.add(c.value);
    });
    const bits = new Set<number>();
    reg.bits.forEach((b, j) => {
      if (bits.has(b.bit)) add([...base, 'bits', j, 'bit'], `bit ${b.bit} appears twice`);
      bits.add(b.bit);
    });
    reg.appliesTo.forEach((id, j) => {
      if (!ids.has(id)) add([...base, 'appliesTo', j], `no point "${id}" in this profile`);
    });
  });
}

interface Span {
  table: string;
  start: number;
  end: number;
  bit: number | undefined;
  i: number;
}

/** Sweep over spans sorted by table and start; the later point in the file gets the problem. */
function checkOverlaps(spans: Span[], add: (p: (string | number)[], m: string) => void): void {
  const sorted = [...spans].sort((a, b) => a.table.localeCompare(b.table) || a.start - b.start || a.i - b.i);
  let open: Span[] = [];
  for (const s of sorted) {
    open = open.filter((o) => o.table === s.table && o.end > s.start);
    for (const o of open) {
      const bits = s.bit !== undefined && o.bit !== undefined && s.end - s.start === 1 && o.end - o.start === 1;
      if (bits && s.bit !== o.bit) continue;
      const [later, earlier] = s.i > o.i ? [s, o] : [o, s];
      add(['points', later.i, 'address'], `${later.table} ${later.start}..${later.end - 1} overlaps points.${earlier.i} (${earlier.start}..${earlier.end - 1})${bits ? ` on the same bit ${s.bit}` : ''}`);
    }
    open.push(s);
  }
}

function checkOpcua(profile: OpcuaProfile, add: (p: (string | number)[], m: string) => void): void {
  const nodes = new Map<string, number>();
  profile.points.forEach((point, i) => {
    const first = nodes.get(point.nodeId);
    if (first !== undefined) add(['points', i, 'nodeId'], `node ${point.nodeId} is also points.${first}`);
    else nodes.set(point.nodeId, i);
  });
}
