/**
 * Response headers every answer carries. The dashboard loads only its own files (no inline script:
 * `script-src 'self'`), may not be framed (`frame-ancestors 'none'` and X-Frame-Options for old
 * browsers), sends no referrer, and the browser may not guess content types. API answers are
 * personal and scoped, so no cache (browser or proxy) may keep them (`Cache-Control: no-store`).
 * A route that sets a stricter policy itself (the sandboxed commissioning report) keeps it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  // The alarm chime is generated in the page and played from a blob: URL (web/alarm-sound.js).
  "media-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export async function securityHeaders(req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-resource-policy', 'same-origin');
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', DASHBOARD_CSP);
  const path = req.url.split('?')[0] ?? '';
  if (path.startsWith('/api/') || path === '/metrics') reply.header('cache-control', 'no-store');
  return payload;
}
