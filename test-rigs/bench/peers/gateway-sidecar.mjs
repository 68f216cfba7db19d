// Our gateway's companion for the side-by-side harness (../shared/peers), outside the measured process tree:
// (1) a stand-in for the cloud that announces, retained on the cloud status topic, which uplink payload
//     versions it takes (PAYLOAD=v2 → [1, 2], so the gateway sends columnar v2; otherwise v1 only) and acks
//     every batch of one gateway with its highest seq (no storage, no validation: that cost is the cloud's);
// (2) a counter printing points_total=N from the journal's telemetry sequence (one seq per reading journaled).
// Usage: node gateway-sidecar.mjs MQTT_URL GATEWAY_ID JOURNAL_DB   (run from a SafeLoop checkout: mqtt and
// better-sqlite3 resolve from its gateway package)
import { createRequire } from 'node:module';

const require = createRequire(`${process.env.SAFELOOP_DIR ?? process.cwd()}/gateway/package.json`);
const mqtt = require('mqtt');
const Database = require('better-sqlite3');
const [url, gw, db] = process.argv.slice(2);
const versions = process.env.PAYLOAD === 'v2' ? [1, 2] : [1];

const c = mqtt.connect(url, { protocolVersion: 4, clean: true });
c.on('connect', () => {
  const status = { v: 1, state: 'online', instanceId: 'peers-sidecar', since: Date.now(), payloadVersions: versions };
  c.publish('safeloop/v1/$cloud/status', JSON.stringify(status), { qos: 1, retain: true });
  c.subscribe(`safeloop/v1/${gw}/up/#`, { qos: 1 });
});
c.on('message', (topic, payload) => {
  if (!topic.endsWith('/alarm') && !topic.endsWith('/telemetry')) return;
  try {
    const b = JSON.parse(payload.toString());
    const last = b.v === 2 ? b.lastSeq : b.events?.[b.events.length - 1]?.seq;
    if (typeof last === 'number') c.publish(`safeloop/v1/${gw}/down/ack`, JSON.stringify({ v: 1, gatewayId: gw, stream: b.stream ?? (topic.endsWith('/alarm') ? 'alarm' : 'telemetry'), ackSeq: last }), { qos: 1 });
  } catch {
    /* not a batch of ours */
  }
});
let conn;
setInterval(() => {
  try {
    conn ??= new Database(db, { readonly: true, fileMustExist: true });
    const r = conn.prepare("SELECT next_seq - 1 AS n FROM stream_state WHERE stream = 'telemetry'").get();
    process.stdout.write(`points_total=${r.n}\n`);
  } catch {
    /* journal not there yet */
  }
}, 5000);
