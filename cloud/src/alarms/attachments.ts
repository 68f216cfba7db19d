/** Feedback attachments (photos, PDFs): base64 in the API, bytes in the database; size- and type-checked. */
import { SafeLoopError } from '@safeloop/contract';
import { z } from 'zod';

export const MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024;
export const MAX_ATTACHMENTS = 5;

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) => b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/pdf': (b) => b.length > 5 && b.subarray(0, 5).toString('latin1') === '%PDF-',
};
export const ATTACHMENT_TYPES = Object.keys(MAGIC) as ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'];

export const AttachmentInputSchema = z.object({
  name: z.string().min(1).max(200).regex(/^[^/\\\0]+$/, 'a file name without path separators'),
  mime: z.enum(ATTACHMENT_TYPES),
  dataBase64: z.string().min(4).max(Math.ceil((MAX_ATTACHMENT_BYTES * 4) / 3) + 8),
});
export type AttachmentInput = z.infer<typeof AttachmentInputSchema>;

export interface CheckedAttachment {
  name: string;
  mime: string;
  data: Buffer;
}

/** Decode and check: size limit, declared type matches the file's magic bytes. */
export function checkAttachments(list: readonly AttachmentInput[]): CheckedAttachment[] {
  if (list.length > MAX_ATTACHMENTS) {
    throw new SafeLoopError('CLOUD_ERR_VALIDATION', `at most ${MAX_ATTACHMENTS} attachments (got ${list.length})`);
  }
  return list.map((a, i) => {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(a.dataBase64)) {
      throw new SafeLoopError('CLOUD_ERR_VALIDATION', `attachments.${i}.dataBase64: not base64`);
    }
    const data = Buffer.from(a.dataBase64, 'base64');
    if (data.length > MAX_ATTACHMENT_BYTES) {
      throw new SafeLoopError('CLOUD_ERR_PAYLOAD_TOO_LARGE', `attachments.${i} (${a.name}): ${data.length} bytes > ${MAX_ATTACHMENT_BYTES}`);
    }
    const check = MAGIC[a.mime];
    if (!check || !check(data)) {
      throw new SafeLoopError('CLOUD_ERR_VALIDATION', `attachments.${i} (${a.name}): content is not ${a.mime}`);
    }
    return { name: a.name, mime: a.mime, data };
  });
}
