/**
 * The cloud's HTTP server (fastify): REST API with its OpenAPI document generated from the same zod
 * schemas that validate requests, SSE live stream, Prometheus metrics, health, and the dashboard.
 * Authorisation is declared on each route (policy.ts) and checked for the route the router chose,
 * after the request path was normalised or refused (path-guard.ts) — never by looking at the URL.
 * Every query the routes make is scoped by the caller's place in the tenancy tree (in the
 * data-access layer); refused object accesses are written to the security log.
 */
import fastifySwagger from '@fastify/swagger';
import fastifyStatic from '@fastify/static';
import { SafeLoopError } from '@safeloop/contract';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { alarmMetrics } from '../alarms/metrics.ts';
import type { HttpServerDeps } from '../api/types.ts';
import { registerAccountRoutes } from '../api/routes-accounts.ts';
import { registerAdminRoutes } from '../api/routes-admin.ts';
import { registerInboxRoutes } from '../notify/routes-inbox.ts';
import { registerAlarmRoutes } from '../api/routes-alarms.ts';
import { registerDeliveryRoutes } from '../notify/routes-deliveries.ts';
import { registerAuthRoutes } from '../api/routes-auth.ts';
import { registerSiteRoutes } from '../api/routes-sites.ts';
import { registerSiteViewRoutes } from '../site-views/routes.ts';
import { SecurityLog } from '../auth/security-log.ts';
import { registerCommissioningRoutes } from '../commissioning/routes.ts';
import { registerProvisioningRoutes } from '../provisioning/routes.ts';
import { auditRefusedAlarmAction } from './alarm-refusals.ts';
import { maybePrincipalOf } from './context.ts';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, sendError } from './errors.ts';
import { refusedPathReason, rewriteRequestUrl } from './path-guard.ts';
import { describePolicy, enforcePolicies, policy } from './policy.ts';
import { securityHeaders } from './security-headers.ts';
import { registerStream } from './sse.ts';

export type { HttpServerDeps, TelemetryReader, RulesAccess } from '../api/types.ts';

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    trustProxy: deps.trustProxy ?? false,
    rewriteUrl: rewriteRequestUrl,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  const clock = deps.clock ?? { now: () => Date.now(), monotonic: () => performance.now() };
  const securityLog =
    deps.securityLog ??
    new SecurityLog({
      db: deps.db,
      clock,
      logger: deps.logger,
      notify: async (event) => {
        const admins = await deps.registry.users.recipients({ role: 'admin' });
        deps.liveHub.publishNotification(admins.map((a) => a.id), { kind: 'security-event', event });
      },
    });
  app.setErrorHandler(
    errorHandler(deps.logger, async (req: FastifyRequest, status: number, code: string) => {
      const p = maybePrincipalOf(req);
      const route = req.routeOptions.url;
      if (!p || route === undefined) return;
      const object: Record<string, unknown> = { ...(req.params as Record<string, unknown> | undefined) };
      const query = req.query as Record<string, unknown> | undefined;
      for (const k of ['siteId', 'enterpriseId', 'regionCode', 'point', 'groupId']) if (query?.[k] !== undefined) object[k] = query[k];
      await securityLog.recordRefusal({ userId: p.user.id, username: p.user.username, role: p.user.role, ip: req.ip, method: req.method, route, object, status, code });
      await auditRefusedAlarmAction({ db: deps.db, alarms: deps.alarms, now: () => clock.now() }, req, p, code);
    }),
  );
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, 'CLOUD_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`));
  alarmMetrics(deps.metricsRegistry); // make sure safeloop_alarms_raised_total is exported even before the first alarm

  // Before any route: refused spellings of the path never reach a route's hooks or handler.
  app.addHook('onRequest', async (req) => {
    const reason = refusedPathReason(req.raw);
    if (reason !== undefined) throw new SafeLoopError('CLOUD_ERR_BAD_PATH', `path refused: ${reason}`);
  });
  enforcePolicies(app, {
    authenticate: (h) => deps.auth.authenticate(h),
    redeemStreamTicket: (t) => deps.auth.redeemStreamTicket(t),
    metricsToken: deps.metricsToken,
  });
  app.addHook('onSend', securityHeaders);

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'SafeLoop API', version: '1.0.0', description: 'Safety-production monitoring: the warn → handle → feedback loop. Each operation states its authorisation in x-policy.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: (args) => {
      const out = jsonSchemaTransform(args);
      const p = args.route.config?.policy;
      if (!p) return out;
      const schema = { ...(out.schema as Record<string, unknown>), 'x-policy': describePolicy(p), ...(p.kind === 'public' ? { security: [] } : {}) };
      return { ...out, schema } as typeof out;
    },
  });

  app.get('/healthz', { schema: { hide: true }, config: { policy: policy.public('load-balancer health check') } }, async () => {
    await deps.db.query('SELECT 1 AS ok');
    return { ok: true };
  });
  app.get('/metrics', { schema: { hide: true }, config: { policy: policy.metrics() } }, async (_req, reply) => {
    const text = await deps.metricsRegistry.metrics();
    return reply.type(deps.metricsRegistry.contentType).send(text);
  });

  // Routes inside a plugin registered after swagger, so the document sees every one of them.
  void app.register(async (scoped) => {
    const api = scoped.withTypeProvider<ZodTypeProvider>();
    registerAuthRoutes(api, { ...deps, securityLog });
    registerAccountRoutes(api, { ...deps, securityLog });
    registerSiteRoutes(api, deps);
    registerSiteViewRoutes(api, deps);
    registerAlarmRoutes(api, deps);
    registerDeliveryRoutes(api, deps);
    registerInboxRoutes(api, deps);
    registerAdminRoutes(api, { ...deps, securityLog });
    registerProvisioningRoutes(api, deps);
    registerCommissioningRoutes(api, deps);
    registerStream(api, deps);
  });

  app.get('/api/openapi.json', { schema: { hide: true }, config: { policy: policy.public('the API description') } }, async () => app.swagger());

  if (deps.staticDir) {
    void app.register(fastifyStatic, { root: deps.staticDir, prefix: '/', index: ['index.html'] });
  }
  return app;
}
