/**
 * One spelling per path, settled before the router looks at it. Percent-escapes of plain letters,
 * digits, `-`, `_` and `~` are decoded (RFC 3986 says `/%61pi` and `/api` are the same resource, so
 * they must reach the same route and the same policy); escapes that could change the path's shape
 * (`%2F`, `%2E`, `%5C`, `%25`, control bytes, broken escapes), empty and dot segments (`//api`,
 * `/api/./x`, `/api/../`) and case variants of `/api` (`/API/rules`) are refused with 400 before
 * routing, so no handler ever sees a path that a proxy, a log reader or the router might read
 * differently.
 */
import type { IncomingMessage } from 'node:http';

const UNRESERVED = /^[A-Za-z0-9_~-]$/;
const REFUSED_DECODED = new Set(['.', '/', '\\', '%']);

export type PathVerdict = { ok: true; url: string } | { ok: false; reason: string };

/** Normalise a request target (path and query) or say why it is refused. */
export function normaliseRequestTarget(target: string): PathVerdict {
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (!rawPath.startsWith('/')) return { ok: false, reason: 'the path must start with /' };
  if (/[\u0000-\u0020\u007f\\]/.test(rawPath)) return { ok: false, reason: 'control characters, spaces or backslashes in the path' };
  let path = '';
  for (let i = 0; i < rawPath.length; i++) {
    const c = rawPath[i] ?? '';
    if (c !== '%') {
      path += c;
      continue;
    }
    const hex = rawPath.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'a broken percent-escape in the path' };
    const code = parseInt(hex, 16);
    const ch = String.fromCharCode(code);
    if (code < 0x20 || code === 0x7f || REFUSED_DECODED.has(ch)) return { ok: false, reason: `an escaped ${JSON.stringify(ch)} (%${hex}) in the path` };
    path += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  if (path.includes('//')) return { ok: false, reason: 'an empty segment (//) in the path' };
  if (path.split('/').some((s) => s === '.' || s === '..')) return { ok: false, reason: 'a dot segment (. or ..) in the path' };
  const lower = path.toLowerCase();
  if ((lower === '/api' || lower.startsWith('/api/')) && !(path === '/api' || path.startsWith('/api/'))) {
    return { ok: false, reason: 'the API is spelled /api/ in lower case' };
  }
  return { ok: true, url: path + query };
}

const refused = new WeakMap<IncomingMessage, string>();

/** For fastify's `rewriteUrl`: normalise, or remember why the request must be refused (answered in onRequest). */
export function rewriteRequestUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const v = normaliseRequestTarget(url);
  if (v.ok) return v.url;
  refused.set(req, v.reason);
  return url;
}

/** Why this request's path was refused, if it was. */
export function refusedPathReason(req: IncomingMessage): string | undefined {
  return refused.get(req);
}
