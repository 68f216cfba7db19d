/**
 * The data-integrity alarm of a held gap. A gap that a replay request did not fill is never acknowledged
 * past (the gateway would release readings the cloud never stored): the alarm is raised and stays active,
 * the cloud keeps asking, and the alarm clears only when the ack passes the named range — because the
 * events arrived, because the gateway declared them discarded by its disk-budget policy, or because the
 * gateway started a new journal (then they are lost, and the cleared alarm waits for an operator).
 */
import type { OutboxOp } from '../store/alarm-outbox.ts';
import { bilingualTitle } from '../alarms/title.ts';
import type { SeqRange, StreamState } from './seq-tracker.ts';

export function integrityConditionKey(gatewayId: string, stream: string, epoch: number, fromSeq: number): string {
  return `integrity:${gatewayId}:${stream}:${epoch}:${fromSeq}`;
}

export function raiseIntegrity(s: StreamState, range: SeqRange, siteId: string, at: number): OutboxOp {
  const [fromSeq, toSeq] = range;
  return {
    op: 'raise',
    input: {
      conditionKey: integrityConditionKey(s.gatewayId, s.stream, s.epoch, fromSeq),
      siteId,
      origin: 'cloud',
      ruleId: 'ingest-sequence-gap',
      kind: 'system',
      title: bilingualTitle(
        `数据完整性：网关 ${s.gatewayId} 的 ${s.stream} 数据 ${fromSeq}–${toSeq} 请求补发后仍未送达；其后的数据已保存，待缺口补齐后按序处理（含云端规则）；网关保留确认号 ${s.ackSeq} 之后的全部数据`,
        `Data integrity: ${s.stream} events ${fromSeq}–${toSeq} of gateway ${s.gatewayId} still missing after a replay request; later events are stored and wait for the gap to be applied in order (cloud rules included); the gateway keeps everything after ack ${s.ackSeq}`,
      ),
      inputs: { gatewayId: s.gatewayId, stream: s.stream, epoch: s.epoch, fromSeq, toSeq, ackSeq: s.ackSeq, replayRequestedAt: s.replayRequestedAt },
      at,
    },
  };
}

/** Clear the alarm of `range`, raised in the epoch `s` is in (the old one, when a new journal replaces it). */
export function clearIntegrity(s: Pick<StreamState, 'gatewayId' | 'stream' | 'epoch'>, range: SeqRange, at: number, reason: string): OutboxOp {
  return { op: 'clear', input: { conditionKey: integrityConditionKey(s.gatewayId, s.stream, s.epoch, range[0]), at, reason } };
}
