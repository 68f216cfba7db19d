/**
 * Fault personalities a simulated Modbus device can take on, as data (so a plant YAML can declare
 * them and a test can switch them at run time with `setFault`).
 *
 * - `silent`: never answers (a dead or wrongly addressed slave).
 * - `slow`: answers correctly after `ms`; requests on one connection/line stay in order.
 * - `exception`: answers every request with Modbus exception `code` (1 illegal function,
 *   2 illegal data address, 3 illegal data value, 4 slave device failure, 6 busy, …).
 * - `badCrc`: RTU only — a correct reply with a corrupted CRC (ignored on TCP).
 * - `shortFrame`: the reply is cut short (RTU: missing bytes and a CRC over what was sent;
 *   TCP: the byte count promises more data than the frame carries).
 * - `disconnect`: TCP — the connection is destroyed when a request for this unit arrives; when every
 *   unit behind the port is disconnected, new connections are closed on accept. RTU: like `silent`.
 * - `stuck`: values freeze at what they were when the fault was set (a frozen transmitter).
 * - `lateReply`: RTU — the reply comes `ms` after the request without holding the line, i.e. after
 *   the master has timed out and possibly sent its next request (RELIABILITY.md C2). On TCP the
 *   reply is sent after `ms` without holding back later replies (out of order).
 */
import { z } from 'zod';

export const FaultSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('silent') }),
  z.object({ kind: z.literal('slow'), ms: z.number().int().min(0).max(600_000) }),
  z.object({ kind: z.literal('exception'), code: z.number().int().min(1).max(255) }),
  z.object({ kind: z.literal('badCrc') }),
  z.object({ kind: z.literal('shortFrame') }),
  z.object({ kind: z.literal('disconnect') }),
  z.object({ kind: z.literal('stuck') }),
  z.object({ kind: z.literal('lateReply'), ms: z.number().int().min(0).max(600_000) }),
]);
export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

/** Modbus exception codes the simulator produces on its own. */
export const MODBUS_EXCEPTION = {
  illegalFunction: 0x01,
  illegalDataAddress: 0x02,
  illegalDataValue: 0x03,
  slaveDeviceFailure: 0x04,
} as const;
