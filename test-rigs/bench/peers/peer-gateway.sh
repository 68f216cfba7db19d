#!/bin/bash
# Our gateway as a peer command of the side-by-side harness (../shared/peers/measure.mjs), full path:
# poll + decode + quality + edge rules + durable SQLite journal + MQTT uplink with application acks.
# Env from measure.mjs: DEVICES, BASE_PORT, RUN_DIR. Also SAFELOOP_DIR (this checkout), MQTT_PORT (a broker
# on 127.0.0.1 started by the caller), PAYLOAD (v2: the stand-in cloud announces payload v2; else v1) and
# RUN (bundle: the precompiled program from `npm run build:gateway`, as a field install runs it; else the
# TypeScript through tsx). NODE_FLAGS (optional) go to the gateway's node only; JOURNAL_EXTRA (optional)
# is added to the journal section, e.g. JOURNAL_EXTRA='telemetryCommitMs: 200'.
# The sidecar runs detached (setsid), so its CPU is not counted as the gateway's.
#   cd ../shared/peers && SAFELOOP_DIR=$PWD/../../main PAYLOAD=v2 node measure.mjs --name sl-v2 --devices 100 \
#     --peer "bash $PWD/../../main/test-rigs/bench/peers/peer-gateway.sh"
set -eu
: "${SAFELOOP_DIR:?set SAFELOOP_DIR}"; MQTT_PORT=${MQTT_PORT:-18830}
here=$(cd "$(dirname "$0")" && pwd)
cfg=$RUN_DIR/gateway.yaml
{
  echo "gateway: { id: gw-bench, siteId: bench, statusIntervalSec: 15 }"
  echo "journal: { path: $RUN_DIR/journal.db, diskBudgetBytes: 8589934592${JOURNAL_EXTRA:+, $JOURNAL_EXTRA} }"
  echo "uplink: { transport: mqtt, url: \"mqtt://127.0.0.1:$MQTT_PORT\", protocolVersion: 4, allowInsecure: true, keepaliveSec: 15 }"
  # (unless the profile was copied into the library for the harness's poll-only peer: one id, one place)
  # (the precompiled program carries the library it was built with: dist/profiles)
  lib=$SAFELOOP_DIR/device-profiles/profiles; [ "${RUN:-tsx}" = bundle ] && lib=$SAFELOOP_DIR/dist/profiles
  [ -f "$lib/bench-holding-1000.yaml" ] || echo "profileDirs: [\"$SAFELOOP_DIR/test-rigs/bench/profiles\"]"
  echo "devices:"
  for i in $(seq 0 $((DEVICES - 1))); do
    echo "  - { id: d$i, name: d$i, profile: bench-holding-1000, transport: { kind: modbus-tcp, host: 127.0.0.1, port: $((BASE_PORT + i)), unitId: 1, timeoutMs: 1000 }, pollIntervalMs: 1000 }"
  done
  echo "bridges: []"
} > "$cfg"
( cd "$SAFELOOP_DIR" && SAFELOOP_DIR=$SAFELOOP_DIR PAYLOAD=${PAYLOAD:-v1} setsid node "$here/gateway-sidecar.mjs" "mqtt://127.0.0.1:$MQTT_PORT" gw-bench "$RUN_DIR/journal.db" < /dev/null & echo $! > "$RUN_DIR/sidecar.pid" )
trap 'kill "$(cat "$RUN_DIR/sidecar.pid")" 2>/dev/null' EXIT
cd "$SAFELOOP_DIR"
# The environment a field install gives the gateway: the Environment= lines of its systemd unit.
while IFS= read -r kv; do export "${kv#Environment=}"; done < <(grep '^Environment=' gateway/deploy/safeloop-gateway.service)
if [ "${RUN:-tsx}" = bundle ]; then program=(dist/cli/safeloop.js); else program=(--import tsx cli/src/main.ts); fi
# NODE_FLAGS: V8/node flags for the gateway process only (e.g. --max-semi-space-size=2).
# shellcheck disable=SC2086
node ${NODE_FLAGS:-} "${program[@]}" gateway --config "$cfg" --log-level warn
