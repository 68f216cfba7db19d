/**
 * The cloud's HTTP server (fastify): REST API with its OpenAPI document generated from the same zod
 * schemas that validate requests, SSE live stream, Prometheus metrics, health, and the dashboard.
 * Every /api route except login and the OpenAPI document needs a bearer token; every query the
 * routes make is scoped by the caller's place in the tenancy tree (in the data-access layer).
 */
import fastifySwagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { alarmMetrics } from '../alarms/metrics.ts';
import type { HttpServerDeps } from '../api/types.ts';
import { registerAdminRoutes } from '../api/routes-admin.ts';
import { registerAlarmRoutes } from '../api/routes-alarms.ts';
import { registerDeliveryRoutes } from '../notify/routes-deliveries.ts';
import { registerAuthRoutes } from '../api/routes-auth.ts';
import { registerSiteRoutes } from '../api/routes-sites.ts';
import { registerCommissioningRoutes } from '../commissioning/routes.ts';
import { registerProvisioningRoutes } from '../provisioning/routes.ts';
import { setPrincipal } from './context.ts';
import { errorHandler, sendError } from './errors.ts';
import { registerStream } from './sse.ts';

export type { HttpServerDeps, TelemetryReader, RulesAccess } from '../api/types.ts';

const PUBLIC_API = new Set(['/api/auth/login', '/api/openapi.json', '/api/provision/claim']);

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, trustProxy: deps.trustProxy ?? false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler(deps.logger));
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'CLOUD_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`));
  alarmMetrics(deps.metricsRegistry); // make sure safeloop_alarms_raised_total is exported even before the first alarm

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'SafeLoop API', version: '1.0.0', description: 'Safety-production monitoring: the warn → handle → feedback loop' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') || PUBLIC_API.has(path)) return;
    let header = req.headers.authorization;
    if (header === undefined && path === '/api/stream') {
      const token = new URL(req.url, 'http://x').searchParams.get('access_token');
      if (token) header = `Bearer ${token}`;
    }
    setPrincipal(req, await deps.auth.authenticate(header));
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    return payload;
  });

  app.get('/healthz', { schema: { hide: true } }, async () => {
    await deps.db.query('SELECT 1 AS ok');
    return { ok: true };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const text = await deps.metricsRegistry.metrics();
    return reply.type(deps.metricsRegistry.contentType).send(text);
  });

  // Routes inside a plugin registered after swagger, so the document sees every one of them.
  void app.register(async (scoped) => {
    const api = scoped.withTypeProvider<ZodTypeProvider>();
    registerAuthRoutes(api, deps);
    registerSiteRoutes(api, deps);
    registerAlarmRoutes(api, deps);
    registerDeliveryRoutes(api, deps);
    registerAdminRoutes(api, deps);
    registerProvisioningRoutes(api, deps);
    registerCommissioningRoutes(api, deps);
    registerStream(api, deps);
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  if (deps.staticDir) {
    void app.register(fastifyStatic, { root: deps.staticDir, prefix: '/', index: ['index.html'] });
  }
  return app;
}
