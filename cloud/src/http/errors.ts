/** Stable error codes → HTTP status; every error leaves as `{ error: { code, message } }`. */
import { SafeLoopError } from '@safeloop/contract';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from '@safeloop/contract';

export const ERROR_STATUS: Record<string, number> = {
  CLOUD_ERR_VALIDATION: 400,
  CLOUD_ERR_UNAUTHENTICATED: 401,
  CLOUD_ERR_FORBIDDEN: 403,
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
  CLOUD_ERR_RATE_LIMITED: 429,
  CLOUD_ERR_UNAVAILABLE: 503,
  CONFIG_INVALID: 400,
};

export function sendError(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).type('application/json').send({ error: { code, message } });
}

export function errorHandler(logger: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (err instanceof SafeLoopError) {
      const status = ERROR_STATUS[err.code] ?? 500;
      if (status >= 500) logger.error({ code: err.code, err: err.message, url: req.url }, 'request failed');
      return sendError(reply, status, err.code, err.message);
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const where = err.validationContext ?? 'request';
      const path = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : '(root)';
      return sendError(reply, 400, 'CLOUD_ERR_VALIDATION', `${where}.${path}: ${first?.message ?? 'invalid'}`);
    }
    const fe = err as FastifyError;
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, 413, 'CLOUD_ERR_PAYLOAD_TOO_LARGE', 'request body too large');
    if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
      return sendError(reply, fe.statusCode, 'CLOUD_ERR_BAD_REQUEST', fe.message);
    }
    logger.error({ err: err.message, stack: err.stack, url: req.url }, 'unhandled request error');
    return sendError(reply, 500, 'CLOUD_ERR_INTERNAL', 'internal error');
  };
}
