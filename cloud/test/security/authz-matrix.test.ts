/**
 * The generated authorisation matrix. It reads the live OpenAPI document, so a route added
 * tomorrow is covered without anyone remembering to add it here, and for every route and method:
 *   1. the route states its policy (`x-policy`: public, or bearer with the roles let through);
 *   2. anonymous callers get 401 — also through percent-encoded and odd spellings of the path
 *      (`/%61pi/rules`, `//api/…`, `/api/./…`, `/API/…`), which must never reach a handler unchecked;
 *   3. every seeded role the policy leaves out gets 403 and changes nothing;
 *   4. every role, handed the ids of a tenant outside its place in the region tree (another
 *      enterprise, county, city, province), gets 403/404, sees none of that tenant's data, and
 *      changes nothing — lists filtered on that tenant come back empty;
 *   5. every role the policy lets through, on its own tenant, gets no 401 and no 5xx.
 * Failures are collected and reported together, so one run shows every hole at once.
 */
import { test } from 'node:test';
import { connect, type AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { buildSecurityStack, call, commissioningBody, gatewayConfig, RULES, SEES, session, setupTenants, stateDigest, type SecurityStack, type Session, type Tenant } from './security-stack.ts';

interface OpenApiSchema {
  type?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number | boolean;
  minLength?: number;
  minItems?: number;
  items?: OpenApiSchema;
  anyOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
}
interface Operation {
  'x-policy'?: { auth: string; roles?: string[] };
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: OpenApiSchema }[];
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
}
interface Route {
  method: string;
  path: string;
  op: Operation;
  key: string;
}

const STRONG = 'Matrix-Strong-Passw0rd!';
/** Routes whose positive call would end the caller's own session or change their password. */
const SELF_ONLY = new Set(['POST /api/auth/logout', 'POST /api/auth/password']);
const ALL_ROLES = ['enterprise_operator', 'enterprise_manager', 'county_monitor', 'city_monitor', 'province_monitor', 'field_technician', 'admin'];

function example(s: OpenApiSchema | undefined): unknown {
  if (!s) return {};
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return example(alt.find((a) => a.type !== 'null'));
  switch (s.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) o[k] = example(s.properties?.[k]);
      return o;
    }
    case 'string':
      return 'x'.repeat(Math.max(1, s.minLength ?? 1));
    case 'integer':
    case 'number':
      return (s.minimum ?? (typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : 0)) + 1;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: s.minItems ?? 0 }, () => example(s.items));
    default:
      return {};
  }
}

let uniq = 0;
function bodyFor(r: Route, t: Tenant): { body: unknown; targetsTenant: boolean } | undefined {
  switch (r.key) {
    case 'POST /api/alarms/{id}/handover':
      return { body: { toUserId: t.victimUserId }, targetsTenant: true };
    case 'POST /api/alarms/{id}/feedback':
      return { body: { cause: 'a', measures: 'b', result: 'c', disposition: 'false_alarm' }, targetsTenant: true };
    case 'POST /api/alarms/{id}/review':
      return { body: { approved: true, comment: 'x' }, targetsTenant: true };
    case 'POST /api/alarms/{id}/shelve':
    case 'POST /api/alarms/{id}/suppress':
      return { body: { reason: 'x', minutes: 10 }, targetsTenant: true };
    case 'PUT /api/gateways/{id}/config':
      return { body: { config: gatewayConfig(t.gateway, t.site) }, targetsTenant: true };
    case 'POST /api/sites/{id}/commissioning-reports':
      return { body: commissioningBody(t.gateway, 'matrix'), targetsTenant: true };
    case 'POST /api/users':
      return { body: { username: `matrix-${++uniq}`, password: STRONG, name: '矩阵', role: 'enterprise_operator', enterpriseId: t.enterprise }, targetsTenant: true };
    case 'PATCH /api/users/{id}':
      return { body: { name: '改名' }, targetsTenant: true };
    case 'POST /api/users/{id}/reset-password':
      return { body: { password: STRONG }, targetsTenant: true };
    case 'PUT /api/rules':
      return { body: { ...RULES, version: 100 + ++uniq }, targetsTenant: false };
    case 'POST /api/tokens':
      return { body: { name: 'matrix', ttlDays: 7 }, targetsTenant: false };
    case 'POST /api/auth/password':
      return { body: { currentPassword: 'safeloop', newPassword: STRONG }, targetsTenant: false };
    case 'POST /api/gateways/{id}/revoke':
      return { body: { reason: 'matrix' }, targetsTenant: true };
    default: {
      const schema = r.op.requestBody?.content?.['application/json']?.schema;
      return schema ? { body: example(schema), targetsTenant: false } : undefined;
    }
  }
}

/** The concrete URL of a route for a tenant's objects; undefined when a path parameter has no known object. */
function urlFor(r: Route, t: Tenant, now: number, failures: string[]): { url: string; targetsTenant: boolean } | undefined {
  let targetsTenant = false;
  let missing: string | undefined;
  const path = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    targetsTenant = true;
    if (name === 'attachmentId') return t.attachmentId;
    if (name === 'reportId') return t.reportId;
    if (name === 'codeId') return t.claimCodeId;
    if (name === 'tokenId') return t.tokenId;
    if (name === 'version') return '1';
    if (name === 'id') {
      if (r.path.startsWith('/api/sites/')) return t.site;
      if (r.path.startsWith('/api/gateways/')) return t.gateway;
      if (r.path.startsWith('/api/alarms/')) return t.alarmId;
      if (r.path.startsWith('/api/users/')) return t.victimUserId;
      if (r.path.startsWith('/api/tokens/')) return t.tokenId;
    }
    missing = name;
    return 'x';
  });
  if (missing !== undefined) {
    failures.push(`${r.key}: the matrix knows no object for path parameter {${missing}} — teach urlFor()`);
    return undefined;
  }
  const q = new URLSearchParams();
  for (const p of r.op.parameters ?? []) {
    if (p.in !== 'query') continue;
    const v: Record<string, string> = {
      siteId: t.site,
      enterpriseId: t.enterprise,
      regionCode: t.region,
      point: `${t.site}/gd-1/conc`,
      from: String(now - 3_600_000),
      to: String(now),
      state: 'all',
    };
    if (v[p.name] !== undefined) {
      q.set(p.name, v[p.name] ?? '');
      if (['siteId', 'enterpriseId', 'regionCode', 'point'].includes(p.name)) targetsTenant = true;
    } else if (p.required) q.set(p.name, String(example(p.schema)));
  }
  const qs = q.toString();
  return { url: qs ? `${path}?${qs}` : path, targetsTenant };
}

function routesOf(doc: { paths: Record<string, Record<string, Operation>> }): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      out.push({ method: method.toUpperCase(), path, op, key: `${method.toUpperCase()} ${path}` });
    }
  }
  return out;
}

/** Odd spellings of a URL that must never reach the route unchecked. */
function oddSpellings(url: string): string[] {
  const [path = '', query] = url.split('?');
  const q = query ? `?${query}` : '';
  const rest = path.slice('/api/'.length);
  const lastLetter = path.search(/[a-z](?=[^/]*$)/);
  const out = [
    `/%61pi/${rest}${q}`,
    `/%61%70%69/${rest}${q}`,
    `//api/${rest}${q}`,
    `/api/./${rest}${q}`,
    `/api/x/../${rest}${q}`,
    `/API/${rest}${q}`,
    `/Api/${rest}${q}`,
    `/api/%2e/${rest}${q}`,
    `/api%2F${rest}${q}`,
  ];
  if (lastLetter > 0) out.push(`${path.slice(0, lastLetter)}%${path.charCodeAt(lastLetter).toString(16)}${path.slice(lastLetter + 1)}${q}`);
  return out;
}

function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(text));
    let out = '';
    sock.on('data', (d: Buffer) => (out += d.toString('utf8')));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => sock.destroy(new Error('timeout')));
  });
}

const isMutation = (m: string): boolean => m !== 'GET';
const leaks = (text: string, t: Tenant): string | undefined => t.markers.find((m) => text.includes(m));

test('authorisation matrix: every route of the live OpenAPI document × anonymous, every role, other tenants', async (ctx) => {
  const s: SecurityStack = await buildSecurityStack('sqlite');
  const failures: string[] = [];
  const counts = { anonymous: 0, odd: 0, forbidden: 0, foreign: 0, own: 0 };
  try {
    const tenants = await setupTenants(s);
    const byKey = new Map(tenants.map((t) => [t.key, t]));
    const docRes = await call(s.app, 'GET', '/api/openapi.json');
    assert.equal(docRes.status, 200);
    const routes = routesOf(docRes.body as { paths: Record<string, Record<string, Operation>> });
    assert.ok(routes.length >= 40, `only ${routes.length} routes in the document`);
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as AddressInfo).port;
    const now = s.clock.now();
    const chem = byKey.get('chem');
    assert.ok(chem);
    const sessions = new Map<string, Session>();
    for (const u of Object.keys(SEES)) sessions.set(u, await session(s.app, u));
    const roleOf = new Map<string, string>();
    for (const u of Object.keys(SEES)) roleOf.set(u, ((await sessions.get(u)?.call('GET', '/api/me'))?.body as { role: string }).role);

    const attempt = async (who: Session | undefined, r: Route, t: Tenant): Promise<{ status: number; text: string; targetsTenant: boolean; changed: boolean; code?: string } | undefined> => {
      const u = urlFor(r, t, now, failures);
      if (!u) return undefined;
      const b = bodyFor(r, t);
      const before = isMutation(r.method) ? await stateDigest(s) : '';
      const res = await call(s.app, r.method, u.url, who?.token, b?.body ?? (isMutation(r.method) ? {} : undefined));
      const changed = isMutation(r.method) ? (await stateDigest(s)) !== before : false;
      const code = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
      if (res.text.includes(s.dir)) failures.push(`${r.key}: the answer shows a server file path: ${res.text.slice(0, 160)}`);
      return { status: res.status, text: res.text, targetsTenant: u.targetsTenant || (b?.targetsTenant ?? false), changed, ...(code ? { code } : {}) };
    };

    for (const r of routes) {
      const pol = r.op['x-policy'];
      if (!pol) failures.push(`${r.key}: no x-policy in the OpenAPI document`);
      if (pol?.auth === 'public' || r.key === 'POST /api/auth/login' || r.key === 'POST /api/provision/claim') continue;
      const isStream = r.op.tags?.includes('live') ?? false;

      // 2. anonymous, and odd spellings of the path
      const anon = await attempt(undefined, r, chem);
      if (anon && anon.status !== 401) failures.push(`${r.key} anonymous: ${anon.status} (want 401) ${anon.text.slice(0, 120)}`);
      counts.anonymous++;
      const u = urlFor(r, chem, now, []);
      if (u) {
        for (const odd of oddSpellings(u.url)) {
          // over a real socket, byte for byte: inject() and fetch() would resolve dot segments themselves
          const raw = await rawHttp(port, `${r.method} ${odd} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
          const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
          if (status !== 401 && status !== 400) failures.push(`${r.method} ${odd} anonymous: ${status} (want 401, or 400 for a refused spelling) ${raw.slice(-100)}`);
          if (!/\{"error":\{"code":"CLOUD_ERR_[A-Z_]+","message":/.test(raw)) failures.push(`${r.method} ${odd}: ${status} without the error shape`);
          counts.odd++;
        }
      }
      if (isStream) continue; // an accepted stream never ends; the live-stream test covers authenticated callers

      const roles = pol?.roles ?? ALL_ROLES;
      for (const [username, sees] of Object.entries(SEES)) {
        const who = sessions.get(username);
        const role = roleOf.get(username) ?? '';
        if (!who) continue;
        // 3. roles the policy leaves out
        if (!roles.includes(role)) {
          const res = await attempt(who, r, byKey.get(sees[0] ?? 'chem') ?? chem);
          if (res && res.status !== 403) failures.push(`${r.key} as ${username} (${role}, not in policy): ${res.status} (want 403) ${res.text.slice(0, 120)}`);
          if (res?.changed) failures.push(`${r.key} as ${username}: refused call changed state`);
          counts.forbidden++;
          continue;
        }
        // 4. other tenants' ids
        if (SELF_ONLY.has(r.key)) continue;
        for (const t of tenants) {
          if (sees.includes(t.key)) continue;
          const res = await attempt(who, r, t);
          if (!res) continue;
          counts.foreign++;
          const where = `${r.key} as ${username} on ${t.key}'s objects`;
          if (res.status >= 500) failures.push(`${where}: ${res.status} ${res.text.slice(0, 120)}`);
          const leak = leaks(res.text, t);
          if (leak) failures.push(`${where}: ${res.status} leaks "${leak}": ${res.text.slice(0, 160)}`);
          if (res.changed && (res.status >= 400 || res.targetsTenant)) failures.push(`${where}: changed state (${res.status})`);
          if (res.targetsTenant && res.status !== 403 && res.status !== 404) {
            const emptyList = res.status === 200 && r.method === 'GET' && !r.path.includes('{') && isEmptyList(res.text);
            if (!emptyList) failures.push(`${where}: ${res.status} (want 403/404${r.path.includes('{') ? '' : ' or an empty list'}) ${res.text.slice(0, 120)}`);
          }
        }
      }
    }
    // 5. own tenant, roles the policy lets through: no 401, no 5xx, no schema rejection of the matrix's own request
    for (const r of routes) {
      const pol = r.op['x-policy'];
      if (pol?.auth === 'public' || r.op.tags?.includes('live') || SELF_ONLY.has(r.key)) continue;
      for (const [username, sees] of Object.entries(SEES)) {
        const own = byKey.get(sees[0] ?? '');
        const who = sessions.get(username);
        if (!own || !who || !(pol?.roles ?? ALL_ROLES).includes(roleOf.get(username) ?? '')) continue;
        const res = await attempt(who, r, own);
        if (!res) continue;
        counts.own++;
        const where = `${r.key} as ${username} on its own ${own.key}`;
        if (res.status === 401 || res.status >= 500) failures.push(`${where}: ${res.status} ${res.text.slice(0, 160)}`);
        if (res.status === 400 && /"message":"(body|querystring|params)\./.test(res.text)) failures.push(`${where}: the matrix sent a request the schema refuses: ${res.text.slice(0, 160)}`);
      }
    }
    if (!(counts.foreign > 500 && counts.forbidden > 100 && counts.own > 150)) failures.push(`matrix too small: ${JSON.stringify(counts)}`);
  } finally {
    await s.close();
  }
  ctx.diagnostic(`calls: ${JSON.stringify(counts)}`);
  assert.equal(failures.length, 0, `${failures.length} authorisation failures (${JSON.stringify(counts)}):\n${[...new Set(failures)].slice(0, Number(process.env.MATRIX_SHOW ?? 80)).join('\n')}`);
});

function isEmptyList(text: string): boolean {
  try {
    const b = JSON.parse(text) as unknown;
    if (Array.isArray(b)) return b.length === 0;
    if (b && typeof b === 'object' && 'items' in b) return Array.isArray((b as { items: unknown }).items) && (b as { items: unknown[] }).items.length === 0;
    if (b && typeof b === 'object' && 'total' in b) return (b as { total: unknown }).total === 0;
    return false;
  } catch {
    return text.trim().split('\n').length <= 1; // a CSV with its header only
  }
}
