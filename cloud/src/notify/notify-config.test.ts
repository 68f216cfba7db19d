/** Bad notify config gets a clear error; credentials are never literals; shifts across midnight. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SafeLoopError } from '@safeloop/contract';
import { NotifyConfigSchema } from './notify-config.ts';
import { readSecret } from './secrets.ts';
import { shiftCovers } from './duty-roster.ts';

const issues = (input: unknown): string[] => {
  const r = NotifyConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

test('a secret written in the config is refused, naming the field', () => {
  const bad = issues({ sms: { provider: 'aliyun', accessKeyId: 'LTAI123', accessKeySecret: { env: 'X' }, signName: 's', templateCode: 't' } });
  assert.equal(bad.length, 1);
  assert.match(bad[0] ?? '', /^sms\.accessKeyId: a credential must be \{ file: PATH \} or \{ env: NAME \}/);
  assert.match(issues({ webhooks: [{ name: 'w', url: 'https://x.example/h', secret: 'literal-secret-0123456789' }] })[0] ?? '', /webhooks\.0\.secret/);
  assert.match(issues({ webhooks: [{ name: 'w', url: 'https://x.example/h', secret: { env: 'S' } }] })[0] ?? '', /exactly one of enterpriseId or regionCode/);
  assert.match(issues({ webhooks: [{ name: 'w', url: 'https://x.example/h', secret: { env: 'S' }, regionCode: '36', events: ['alarm.deleted'] }] })[0] ?? '', /webhooks\.0\.events\.0/);
  assert.match(issues({ robots: [{ kind: 'dingtalk', name: 'd', accessToken: { env: 'T' } }] })[0] ?? '', /exactly one of enterpriseId, regionCode or siteIds/);
});

test('a missing credential stops the start with what and where', () => {
  delete process.env.SAFELOOP_SURELY_UNSET;
  assert.throws(() => readSecret({ env: 'SAFELOOP_SURELY_UNSET' }, 'notify.sms.accessKeySecret'), (e: unknown) => e instanceof SafeLoopError && e.code === 'CLOUD_ERR_CONFIG' && /notify\.sms\.accessKeySecret: environment variable SAFELOOP_SURELY_UNSET is not set/.test(e.message));
  assert.throws(() => readSecret({ file: '/nonexistent/ak' }, 'notify.voice.accessKeyId'), /notify\.voice\.accessKeyId: cannot read the secret file \/nonexistent\/ak: ENOENT/);
});

test('shifts: day, overnight (belongs to the start day), weekdays, local time UTC+8', () => {
  const at = (isoLocal: string): number => Date.parse(`${isoLocal}+08:00`);
  const day = { startMin: 8 * 60, endMin: 20 * 60, days: '1234567', utcOffsetMin: 480 };
  const night = { startMin: 20 * 60, endMin: 8 * 60, days: '12345', utcOffsetMin: 480 };
  assert.equal(shiftCovers(day, at('2026-11-30T08:00:00')), true);
  assert.equal(shiftCovers(day, at('2026-11-30T20:00:00')), false);
  assert.equal(shiftCovers(night, at('2026-11-30T23:00:00')), true, 'Monday night');
  assert.equal(shiftCovers(night, at('2026-12-05T03:00:00')), true, 'Saturday 03:00 belongs to Friday night');
  assert.equal(shiftCovers(night, at('2026-12-06T03:00:00')), false, 'Sunday 03:00 belongs to Saturday night: not rostered');
  assert.equal(shiftCovers(night, at('2026-12-05T21:00:00')), false, 'Saturday evening not rostered');
});
