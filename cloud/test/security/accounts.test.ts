/**
 * Accounts as an attacker and an unlucky administrator would find them:
 * 1. A restart re-applies the seed: it used to overwrite every seeded password (back to the
 *    plaintext in the seed file) and role. Now it creates missing users only.
 * 2. Disabling a user stops their session and API tokens at once, on every worker; revoking a
 *    token likewise; logging out with an API token revokes it.
 * 3. Failed logins slow the (account, address) pair, in the database: a stranger's five wrong
 *    passwords no longer lock the rightful owner out from elsewhere, the delays grow, and neither a
 *    restart nor a spray of usernames resets them.
 * 4. Password policy, the administrator's reset with a forced change, user management only inside
 *    the caller's place, every change audited.
 * Runs on PostgreSQL (two workers, one database) and SQLite.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@safeloop/contract';
import { AuthService, ensureInitialAdmin, FIRST_DELAY_MS } from '../../src/auth/index.ts';
import { loadSeedFile, Registry } from '../../src/tenancy/index.ts';
import { DB_KINDS, DEMO_SEED } from '../loop/harness.ts';
import { buildSecurityStack, call, secondWorker, session } from './security-stack.ts';

const STRONG = 'Neu-Passwort-2026!';

for (const kind of DB_KINDS) {
  describe(`accounts on ${kind}`, () => {
    test('a restart (seed re-applied) changes no password, role or disabled flag; the first-start admin is made only on an empty database', async () => {
      const s = await buildSecurityStack(kind);
      try {
        const admin = await session(s.app, 'admin');
        const op = await session(s.app, 'operator');
        assert.equal((await op.call('POST', '/api/auth/password', { currentPassword: 'safeloop', newPassword: STRONG })).status, 200);
        const users = (await admin.call('GET', '/api/users')).body as { id: string; username: string }[];
        const idOf = (u: string): string => users.find((x) => x.username === u)?.id ?? '';
        assert.equal((await admin.call('PATCH', `/api/users/${idOf('principal')}`, { role: 'enterprise_operator' })).status, 200);
        assert.equal((await admin.call('PATCH', `/api/users/${idOf('county2')}`, { disabled: true })).status, 200);

        // the restart: a new registry on the same database applies the same seed file again
        const restarted = new Registry({ db: s.h.db, now: () => s.clock.now() });
        await restarted.migrate();
        await restarted.applySeed(loadSeedFile(DEMO_SEED));
        assert.equal(await ensureInitialAdmin(restarted.users, { logger: silentLogger }), 'exists');

        assert.equal((await call(s.app, 'POST', '/api/auth/login', undefined, { username: 'operator', password: 'safeloop' })).status, 401, 'the seed password is not back');
        assert.equal((await call(s.app, 'POST', '/api/auth/login', undefined, { username: 'operator', password: STRONG })).status, 200);
        assert.equal((await restarted.users.getById(idOf('principal')))?.role, 'enterprise_operator', 'the role change survives');
        assert.equal((await restarted.users.getById(idOf('county2')))?.disabled, true, 'the disabled flag survives');
        assert.equal((await call(s.app, 'POST', '/api/auth/login', undefined, { username: 'county2', password: 'safeloop' })).status, 401);
      } finally {
        await s.close();
      }
    });

    test('disable, revoke and logout take effect at once on every worker', async () => {
      const s = await buildSecurityStack(kind);
      const other = await secondWorker(s);
      try {
        const admin = await session(s.app, 'admin');
        const county = await session(s.app, 'county');
        const tok = (await county.call('POST', '/api/tokens', { name: 'wall display', ttlDays: 30 })).body as { id: string; token: string; expiresAt: number };
        assert.equal(tok.expiresAt, s.clock.now() + 30 * 86_400_000);
        assert.equal((await county.call('POST', '/api/tokens', { name: 'forever' })).status, 400, 'an API token without expiry is refused');
        assert.equal((await county.call('POST', '/api/tokens', { name: 'ten years', ttlDays: 3650 })).status, 400);
        const listed = (await county.call('GET', '/api/tokens')).body as { id: string; name: string; revoked: boolean }[];
        assert.deepEqual(listed.map((t) => [t.name, t.revoked]), [['wall display', false]]);
        assert.ok(!JSON.stringify(listed).includes(tok.token), 'the secret is shown once, never listed');
        for (const app of [s.app, other]) assert.equal((await call(app, 'GET', '/api/me', tok.token)).status, 200);

        // revoke on worker 1 → refused on worker 2 at the next request
        assert.equal((await county.call('DELETE', `/api/tokens/${tok.id}`)).status, 204);
        assert.equal((await call(other, 'GET', '/api/me', tok.token)).status, 401);
        assert.equal((await call(s.app, 'GET', '/api/me', tok.token)).status, 401);

        // logout with an API token revokes it (it used to answer 204 and keep working)
        const tok2 = (await county.call('POST', '/api/tokens', { name: 'script', ttlDays: 1 })).body as { token: string };
        assert.equal((await call(other, 'POST', '/api/auth/logout', tok2.token)).status, 204);
        assert.equal((await call(s.app, 'GET', '/api/me', tok2.token)).status, 401);

        // disable: the session and a fresh API token stop at once, on both workers
        const tok3 = (await county.call('POST', '/api/tokens', { name: 'x', ttlDays: 1 })).body as { token: string };
        const users = (await admin.call('GET', '/api/users')).body as { id: string; username: string }[];
        const countyId = users.find((u) => u.username === 'county')?.id ?? '';
        assert.equal((await admin.call('PATCH', `/api/users/${countyId}`, { disabled: true })).status, 200);
        for (const app of [s.app, other]) {
          assert.equal((await call(app, 'GET', '/api/me', county.token)).status, 401);
          assert.equal((await call(app, 'GET', '/api/me', tok3.token)).status, 401);
        }
        // nobody disables themselves
        const adminId = users.find((u) => u.username === 'admin')?.id ?? '';
        assert.equal((await admin.call('PATCH', `/api/users/${adminId}`, { disabled: true })).status, 403);
      } finally {
        await other.close();
        await s.close();
      }
    });

    test('failed logins slow the account from that address only, with growing delays, across restarts and workers', async () => {
      const s = await buildSecurityStack(kind);
      const other = await secondWorker(s);
      try {
        const login = (app: typeof s.app, password: string, ip: string): Promise<number> =>
          app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'county', password }, remoteAddress: ip }).then((r) => r.statusCode);
        for (let i = 0; i < 5; i++) assert.equal(await login(i % 2 ? other : s.app, 'wrong', '203.0.113.7'), 401);
        assert.equal(await login(s.app, 'safeloop', '203.0.113.7'), 429, 'the attacker address is slowed, even with the right password');
        assert.equal(await login(other, 'safeloop', '203.0.113.7'), 429, 'on every worker');
        assert.equal(await login(s.app, 'safeloop', '10.0.0.5'), 200, 'the rightful owner, elsewhere, logs in');
        // a spray of other usernames does not reset the lock (it used to wipe the map at 10,000 entries)
        for (let i = 0; i < 50; i++) await s.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: `spray${i}`, password: 'x' }, remoteAddress: '198.51.100.1' });
        // a restart: a new AuthService on the same database
        const restarted = new AuthService({ db: s.h.db, users: s.registry.users, clock: s.clock, secret: 'test-secret-test-secret-test-secret!!' });
        await assert.rejects(restarted.login('county', 'safeloop', '203.0.113.7'), /too many failed logins/);
        // growing: after the first delay, one more failure doubles it
        s.clock.advance(FIRST_DELAY_MS + 1);
        assert.equal(await login(s.app, 'wrong', '203.0.113.7'), 401);
        s.clock.advance(FIRST_DELAY_MS + 1);
        assert.equal(await login(s.app, 'safeloop', '203.0.113.7'), 429, 'the second delay is longer than the first');
        s.clock.advance(FIRST_DELAY_MS + 1);
        assert.equal(await login(s.app, 'safeloop', '203.0.113.7'), 200);
      } finally {
        await other.close();
        await s.close();
      }
    });

    test('password policy, reset with forced change, user management only inside the caller’s place, audited', async () => {
      const s = await buildSecurityStack(kind);
      try {
        const admin = await session(s.app, 'admin');
        const manager = await session(s.app, 'manager');
        const weak = await admin.call('POST', '/api/users', { username: 'op9', password: 'password1', name: 'x', role: 'enterprise_operator', enterpriseId: 'ent-demo-chem' });
        assert.equal(weak.status, 400);
        assert.equal((weak.body as { error: { code: string } }).error.code, 'CLOUD_ERR_PASSWORD_POLICY');
        assert.equal((await admin.call('POST', '/api/users', { username: 'op9', password: 'op9op9op9op9A', name: 'x', role: 'enterprise_operator', enterpriseId: 'ent-demo-chem' })).status, 400, 'contains the username');

        // an enterprise manager manages the people of their own enterprise only
        const mine = await manager.call('POST', '/api/users', { username: 'op9', password: STRONG, name: '新值班员', role: 'enterprise_operator', enterpriseId: 'ent-demo-chem' });
        assert.equal(mine.status, 201, mine.text);
        const op9 = (mine.body as { id: string }).id;
        assert.equal((await manager.call('POST', '/api/users', { username: 'op10', password: STRONG, name: 'x', role: 'enterprise_operator', enterpriseId: 'ent-demo-mine' })).status, 404);
        assert.equal((await manager.call('POST', '/api/users', { username: 'op11', password: STRONG, name: 'x', role: 'admin' })).status, 403);
        assert.equal((await manager.call('POST', '/api/users', { username: 'op12', password: STRONG, name: 'x', role: 'county_monitor', regionCode: '360102' })).status, 403);
        const all = (await admin.call('GET', '/api/users')).body as { id: string; username: string }[];
        const mineOp = all.find((u) => u.username === 'mine-operator')?.id ?? '';
        assert.equal((await manager.call('PATCH', `/api/users/${mineOp}`, { disabled: true })).status, 404, 'another enterprise’s user is not found');
        assert.equal((await manager.call('PATCH', `/api/users/${op9}`, { enterpriseId: 'ent-demo-mine' })).status, 404, 'nor can one be moved there');
        assert.equal((await manager.call('PATCH', `/api/users/${op9}`, { role: 'admin' })).status, 403);
        const listed = (await manager.call('GET', '/api/users')).body as { enterpriseId?: string }[];
        assert.ok(listed.length > 0 && listed.every((u) => u.enterpriseId === 'ent-demo-chem'));

        // reset with forced change: the old session ends, the new one may only change the password
        const victim = await session(s.app, 'op9', STRONG);
        s.clock.advance(1000);
        assert.equal((await manager.call('POST', `/api/users/${op9}/reset-password`, { password: 'Temp-Passw0rd-9' })).status, 204);
        assert.equal((await victim.call('GET', '/api/me')).status, 401, 'sessions before the reset end');
        s.clock.advance(1000);
        const temp = await session(s.app, 'op9', 'Temp-Passw0rd-9');
        assert.equal(((await temp.call('GET', '/api/me')).body as { mustChangePassword?: boolean }).mustChangePassword, true);
        const blocked = await temp.call('GET', '/api/alarms');
        assert.equal(blocked.status, 403);
        assert.equal((blocked.body as { error: { code: string } }).error.code, 'CLOUD_ERR_PASSWORD_CHANGE_REQUIRED');
        assert.equal((await temp.call('POST', '/api/auth/password', { currentPassword: 'Temp-Passw0rd-9', newPassword: 'short' })).status, 400);
        const changed = await temp.call('POST', '/api/auth/password', { currentPassword: 'Temp-Passw0rd-9', newPassword: 'Mein-eigenes-Passwort-1' });
        assert.equal(changed.status, 200, changed.text);
        const fresh = (changed.body as { token: string }).token;
        assert.equal((await call(s.app, 'GET', '/api/alarms', fresh)).status, 200);

        const audit = (await admin.call('GET', `/api/users/${op9}/audit`)).body as { action: string; actor_name: string }[];
        assert.deepEqual(audit.map((a) => `${a.action}/${a.actor_name}`), ['user-create/manager', 'user-reset-password/manager', 'password-change/op9']);
        assert.ok(!JSON.stringify(audit).includes('Temp-Passw0rd'), 'no password in the audit');
      } finally {
        await s.close();
      }
    });
  });
}
