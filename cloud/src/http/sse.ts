/**
 * GET /api/stream — Server-Sent Events: `alarm` (alarm summary on every change), `latest` (point
 * values), `notification` (addressed to this user). EventSource cannot send headers, so a browser
 * first asks POST /api/stream/ticket for a single-use 60-second ticket and opens
 * `/api/stream?ticket=…`; other clients send the Authorization header. The long-lived session token
 * never travels in the URL (where proxy logs and browser history keep it).
 */
import { z } from 'zod';
import type { HttpServerDeps, ZApp } from '../api/types.ts';
import { principalOf } from './context.ts';
import { policy } from './policy.ts';

export function registerStream(app: ZApp, deps: HttpServerDeps): void {
  app.get(
    '/api/stream',
    { schema: { tags: ['live'], querystring: z.object({ ticket: z.string().max(100).optional() }) }, config: { policy: policy.anyUser({ streamTicket: true }) } },
    (req, reply) => {
      const p = principalOf(req);
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store, no-transform',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: 3000\n: connected as ${p.user.username}\n\n`);
      let id = 0;
      const unsubscribe = deps.liveHub.subscribe({
        userId: p.user.id,
        scope: p.scope,
        send: (event, data) => {
          id += 1;
          res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        },
      });
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.sseHeartbeatMs ?? 15_000);
      heartbeat.unref();
      const done = (): void => {
        clearInterval(heartbeat);
        unsubscribe();
      };
      req.raw.on('close', done);
      res.on('error', done);
    },
  );
}
