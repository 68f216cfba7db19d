/**
 * Each provider client against a local server that checks the request as the provider documents it
 * (signature recomputed in the server, independently): acceptance with the provider's message id,
 * throttling, provider errors, wrong credentials, a provider that never answers.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '@safeloop/contract';
import { AliyunSms, AliyunVoice, DingtalkRobot, WecomRobot, type AlarmMessage } from '../../src/notify/index.ts';
import { startFakeAliyun, startFakeDingtalk, startFakeWecom } from './provider-servers.ts';

const msg: AlarmMessage = { level: '二级报警', place: '示例化工 罐区', point: 'tank-farm/gd-1/conc', value: '55%LEL', link: 'https://safeloop.example/#/alarms/01J', reason: '新报警', text: '[SafeLoop 新报警] 二级报警 …' };
const signal = (): AbortSignal => AbortSignal.timeout(5_000);
const creds = { accessKeyId: 'LTAI-test-id', accessKeySecret: 'test-secret/with+odd=chars' };

describe('Alibaba Cloud SMS and voice', async () => {
  const server = await startFakeAliyun(creds);
  after(() => server.close());
  const sms = (secret = creds.accessKeySecret, timeoutMs = 2_000): AliyunSms =>
    new AliyunSms({ endpoint: `${server.url}/`, credentials: { ...creds, accessKeySecret: secret }, signName: '安全生产预警', templateCode: 'SMS_123', maxParamLength: 35, timeoutMs, clock: systemClock });

  test('SendSms: signed request accepted, BizId returned, template variables filled', async () => {
    const out = await sms().sendSms('13800000001', { ...msg, place: '很长的企业名称'.repeat(10) }, signal());
    assert.deepEqual(out, { ok: true, messageId: '1^0' });
    const p = server.accepted.at(-1)?.params;
    assert.equal(p?.Action, 'SendSms');
    assert.equal(p?.PhoneNumbers, '13800000001');
    const vars = JSON.parse(p?.TemplateParam ?? '{}') as Record<string, string>;
    assert.equal(vars.level, '二级报警');
    assert.equal([...(vars.place ?? '')].length, 35, 'cut to the variable limit');
  });

  test('SingleCallByTts: accepted with a CallId', async () => {
    const voice = new AliyunVoice({ endpoint: `${server.url}/`, credentials: creds, ttsCode: 'TTS_1', playTimes: 2, maxParamLength: 35, timeoutMs: 2_000, clock: systemClock });
    const out = await voice.call('13800000001', msg, signal());
    assert.equal(out.ok, true);
    assert.match(out.ok ? (out.messageId ?? '') : '', /\^100$/);
    assert.equal(server.accepted.at(-1)?.params.CalledNumber, '13800000001');
  });

  test('throttling, provider errors, wrong secret, bad number, silence', async () => {
    server.fail('throttle', 1);
    assert.deepEqual(await sms().sendSms('13800000001', msg, signal()), { ok: false, kind: 'throttled', error: 'isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控Permits:1' });
    server.fail('error', 1);
    const e = await sms().sendSms('13800000001', msg, signal());
    assert.equal(e.ok ? 'ok' : e.kind, 'retryable');
    const refusedBefore = server.refused.length;
    const bad = await sms('wrong-secret').sendSms('13800000001', msg, signal());
    assert.equal(bad.ok ? 'ok' : bad.kind, 'permanent');
    assert.match(bad.ok ? '' : bad.error, /SignatureDoesNotMatch/);
    assert.equal(server.refused.length, refusedBefore + 1, 'the server computed a different signature');
    const num = await sms().sendSms('12345', msg, signal());
    assert.equal(num.ok ? 'ok' : num.kind, 'permanent');
    server.fail('hang', 1);
    const slow = await sms(creds.accessKeySecret, 300).sendSms('13800000001', msg, signal());
    assert.deepEqual(slow, { ok: false, kind: 'retryable', error: 'timed out' });
    server.fail('reject', 1);
    const cut = await sms().sendSms('13800000001', msg, signal());
    assert.equal(cut.ok ? 'ok' : cut.kind, 'retryable');
  });
});

describe('企业微信 and 钉钉 group robots', async () => {
  const wecom = await startFakeWecom({ key: 'wk-693a91f6' });
  const ding = await startFakeDingtalk({ accessToken: 'dt-token', secret: 'SECabc+/=xyz' });
  after(async () => {
    await wecom.close();
    await ding.close();
  });
  const post = { msg, mentionMobiles: ['13800000001'], mentionUserIds: ['wangwu'] };

  test('企业微信: text with @-mentions accepted; throttling and a wrong key are told apart', async () => {
    const robot = new WecomRobot({ name: 'chem-duty', baseUrl: wecom.url, key: 'wk-693a91f6', timeoutMs: 2_000 });
    assert.deepEqual(await robot.post(post, signal()), { ok: true });
    const body = wecom.accepted.at(-1)?.body as { text: { content: string; mentioned_mobile_list: string[]; mentioned_list: string[] } };
    assert.deepEqual(body.text.mentioned_mobile_list, ['13800000001']);
    assert.deepEqual(body.text.mentioned_list, ['wangwu']);
    assert.match(body.text.content, /二级报警[\s\S]*示例化工 罐区[\s\S]*55%LEL[\s\S]*#\/alarms\/01J/);
    const long = await robot.post({ ...post, msg: { ...msg, place: '罐'.repeat(3000) } }, signal());
    assert.deepEqual(long, { ok: true }, 'long text cut to 2048 bytes');
    wecom.fail('throttle', 1);
    assert.deepEqual(await robot.post(post, signal()), { ok: false, kind: 'throttled', error: 'errcode 45009: api freq out of limit' });
    const wrong = new WecomRobot({ name: 'x', baseUrl: wecom.url, key: 'nope', timeoutMs: 2_000 });
    assert.deepEqual(await wrong.post(post, signal()), { ok: false, kind: 'permanent', error: 'errcode 93000: invalid webhook url' });
  });

  test('钉钉: 加签 verified by the server; a wrong secret and throttling', async () => {
    const robot = new DingtalkRobot({ name: 'county', baseUrl: ding.url, accessToken: 'dt-token', secret: 'SECabc+/=xyz', timeoutMs: 2_000, clock: systemClock });
    for (let i = 0; i < 5; i++) assert.deepEqual(await robot.post(post, signal()), { ok: true }, 'signatures with + / = survive URL encoding');
    const body = ding.accepted.at(-1)?.body as { at: { atMobiles: string[] } };
    assert.deepEqual(body.at.atMobiles, ['13800000001']);
    const wrong = new DingtalkRobot({ name: 'county', baseUrl: ding.url, accessToken: 'dt-token', secret: 'SECwrong', timeoutMs: 2_000, clock: systemClock });
    const w = await wrong.post(post, signal());
    assert.equal(w.ok ? 'ok' : w.kind, 'permanent');
    const stale = new DingtalkRobot({ name: 'county', baseUrl: ding.url, accessToken: 'dt-token', secret: 'SECabc+/=xyz', timeoutMs: 2_000, clock: { now: () => Date.now() - 2 * 3_600_000, monotonic: () => 0 } });
    assert.match((await stale.post(post, signal())).ok ? '' : 'refused', /refused/, 'timestamp older than an hour refused');
    ding.fail('throttle', 1);
    assert.deepEqual(await robot.post(post, signal()), { ok: false, kind: 'throttled', error: 'errcode 130101: send too fast, exceed 20 times per minute' });
  });
});
