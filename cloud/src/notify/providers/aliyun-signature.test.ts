/** The Alibaba Cloud RPC signing against the provider's own published example, and the encoding rules. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuery, percentEncode, rpcTimestamp, signRpc, stringToSign } from './aliyun-signature.ts';

test('the published DescribeRegions example (AccessKey secret "testsecret") gives the published signature', () => {
  const params = {
    TimeStamp: '2016-02-23T12:46:24Z',
    Format: 'XML',
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    Version: '2014-05-26',
    SignatureVersion: '1.0',
  };
  assert.equal(
    stringToSign('GET', params),
    'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
  );
  assert.equal(signRpc('GET', params, 'testsecret'), 'CT9X0VtwR86fNWSnsc6v8YGOjuE=');
});

test('percent-encoding follows RFC 3986 as the provider requires (space %20, * %2A, ~ kept, UTF-8 bytes)', () => {
  assert.equal(percentEncode('a b*c~d'), 'a%20b%2Ac~d');
  assert.equal(percentEncode("(!')"), '%28%21%27%29');
  assert.equal(percentEncode('二级'), '%E4%BA%8C%E7%BA%A7');
  assert.equal(canonicalQuery({ b: '2', a: '1', Signature: 'x' }), 'a=1&b=2', 'sorted, Signature left out');
  assert.equal(rpcTimestamp(Date.UTC(2026, 10, 28, 2, 3, 4, 567)), '2026-11-28T02:03:04Z');
});
