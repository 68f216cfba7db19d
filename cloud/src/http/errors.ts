/**
 * Stable error codes → HTTP status; every error leaves as `{ error: { code, message } }` — also the
 * framework's own (bad URL, a parameter too long for the router: 414) and the HTTP parser's (a
 * malformed request, headers too large: 431), which fastify and node would otherwise answer in
 * their own shapes. A 403/404 answered to a logged-in caller on a matched route is handed to
 * `onRefused` (the security log) before the answer goes out.
 */
import type { Socket } from 'node:net';
import { SafeLoopError } from '@safeloop/contract';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from '@safeloop/contract';

export const ERROR_STATUS: Record<string, number> = {
  CLOUD_ERR_VALIDATION: 400,
  CLOUD_ERR_BAD_PATH: 400,
  CLOUD_ERR_BAD_REQUEST: 400,
  CLOUD_ERR_PASSWORD_POLICY: 400,
  CLOUD_ERR_UNAUTHENTICATED: 401,
  CLOUD_ERR_FORBIDDEN: 403,
  CLOUD_ERR_PASSWORD_CHANGE_REQUIRED: 403,
  CLOUD_ERR_NOT_FOUND: 404,
  CLOUD_ERR_CONFLICT: 409,
  CLOUD_ERR_ALARM_CONFLICT: 409,
  CLOUD_ERR_ILLEGAL_TRANSITION: 409,
  CLOUD_ERR_ALREADY_ACKNOWLEDGED: 409,
  CLOUD_ERR_ALARM_ACTIVE: 409,
  CLOUD_ERR_FEEDBACK_REQUIRED: 409,
  CLOUD_ERR_REVIEW_REQUIRED: 409,
  CLOUD_ERR_ALARM_CLOSED: 409,
  CLOUD_ERR_PAYLOAD_TOO_LARGE: 413,
  CLOUD_ERR_URI_TOO_LONG: 414,
  CLOUD_ERR_RATE_LIMITED: 429,
  CLOUD_ERR_UNAVAILABLE: 503,
  CONFIG_INVALID: 400,
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } });
}

/** Called for 403 and 404 answers to an authenticated caller on a matched route. */
export type RefusalRecorder = (req: FastifyRequest, status: number, code: string) => Promise<void>;

function classify(err: FastifyError | Error): { status: number; code: string; message: string } | undefined {
  if (err instanceof SafeLoopError) return { status: ERROR_STATUS[err.code] ?? 500, code: err.code, message: err.message };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const first = err.validation[0];
    const where = err.validationContext ?? 'request';
    const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '(root)';
    return { status: 400, code: 'CLOUD_ERR_VALIDATION', message: `${where}.${path}: ${first?.message ?? 'invalid'}` };
  }
  const fe = err as FastifyError;
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'CLOUD_ERR_PAYLOAD_TOO_LARGE', message: 'request body too large' };
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) return { status: fe.statusCode, code: 'CLOUD_ERR_BAD_REQUEST', message: fe.message };
  return undefined;
}

export function errorHandler(logger: Logger, onRefused?: RefusalRecorder) {
  return async (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const c = classify(err);
    if (!c) {
      logger.error({ err: err.message, stack: err.stack, url: req.url }, 'unhandled request error');
      return sendError(reply, 500, 'CLOUD_ERR_INTERNAL', 'internal error');
    }
    if (c.status >= 500) logger.error({ code: c.code, err: c.message, url: req.url }, 'request failed');
    if ((c.status === 403 || c.status === 404) && onRefused) {
      try {
        await onRefused(req, c.status, c.code);
      } catch (e) {
        logger.error({ err: e instanceof Error ? e.message : String(e), url: req.url }, 'could not record a refused access');
      }
    }
    return sendError(reply, c.status, c.code, c.message);
  };
}

/** fastify's own routing errors (bad URL encoding, a path parameter longer than the router allows). */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    void sendError(reply, 414, 'CLOUD_ERR_URI_TOO_LONG', 'a path segment is too long');
    return;
  }
  void sendError(reply, 400, 'CLOUD_ERR_BAD_PATH', err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid percent-encoding' : err.message);
}

/** A request the HTTP parser refused (malformed, headers too large): answered on the socket in our shape. */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'CLOUD_ERR_HEADERS_TOO_LARGE', 'request headers too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'CLOUD_ERR_TIMEOUT', 'request timed out']
        : [400, 'Bad Request', 'CLOUD_ERR_BAD_REQUEST', 'malformed HTTP request'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
