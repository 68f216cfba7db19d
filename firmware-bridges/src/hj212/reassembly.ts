/**
 * Reassemble split HJ 212 uploads (Flag D bit, PNUM packets numbered PNO = 1…PNUM, one QN).
 * Bounded in groups and packets; an incomplete group expires after the timeout and is reported.
 */
import type { Hj212Packet } from './frame.ts';

export const MAX_SPLIT_PACKETS = 999;
export const MAX_PENDING_GROUPS = 64;

interface Group {
  key: string;
  mn: string;
  first: Hj212Packet;
  parts: Map<number, string>;
  pnum: number;
  timer: NodeJS.Timeout;
}

export type SplitResult =
  | { kind: 'complete'; packet: Hj212Packet }
  | { kind: 'pending'; have: number; of: number }
  | { kind: 'invalid'; detail: string };

export interface SplitReassemblerDeps {
  timeoutMs: number;
  onExpired: (info: { mn: string; qn: string | undefined; cn: string; have: number; of: number }) => void;
}

export class SplitReassembler {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly deps: SplitReassemblerDeps) {}

  add(mn: string, packet: Hj212Packet): SplitResult {
    const { pnum, pno } = packet;
    if (pnum === undefined || pno === undefined) return { kind: 'invalid', detail: 'split flag without PNUM/PNO' };
    if (pnum < 1 || pnum > MAX_SPLIT_PACKETS || pno < 1 || pno > pnum) return { kind: 'invalid', detail: `PNO ${pno} of PNUM ${pnum}` };
    const key = `${mn}|${packet.qn ?? ''}|${packet.cn}|${pnum}`;
    let group = this.groups.get(key);
    if (!group) {
      if (this.groups.size >= MAX_PENDING_GROUPS) return { kind: 'invalid', detail: `more than ${MAX_PENDING_GROUPS} split uploads pending` };
      const timer = setTimeout(() => this.expire(key), this.deps.timeoutMs);
      timer.unref();
      group = { key, mn, first: packet, parts: new Map(), pnum, timer };
      this.groups.set(key, group);
    }
    group.parts.set(pno, packet.cp);
    if (pno === 1) group.first = packet;
    if (group.parts.size < pnum) return { kind: 'pending', have: group.parts.size, of: pnum };
    clearTimeout(group.timer);
    this.groups.delete(key);
    const cps: string[] = [];
    for (let i = 1; i <= pnum; i += 1) cps.push(group.parts.get(i) ?? '');
    const { pnum: _n, pno: _o, ...rest } = group.first;
    void _n;
    void _o;
    return { kind: 'complete', packet: { ...rest, cp: cps.filter((c) => c !== '').join(';') } };
  }

  private expire(key: string): void {
    const group = this.groups.get(key);
    if (!group) return;
    this.groups.delete(key);
    this.deps.onExpired({ mn: group.mn, qn: group.first.qn, cn: group.first.cn, have: group.parts.size, of: group.pnum });
  }

  get pending(): number {
    return this.groups.size;
  }

  stop(): void {
    for (const g of this.groups.values()) clearTimeout(g.timer);
    this.groups.clear();
  }
}
