/**
 * Lower the CPU priority of the PostgreSQL backends behind one pool — the bulk telemetry thread's — so that
 * on a machine where the database shares the cores with the ingest worker, an alarm's few-statement
 * transaction on the main pool is not kept waiting behind bulk COPYs.
 *
 * Only ever touches a process that is provably this connection's backend on this machine: the server must
 * be reached over a local address or socket, and the pid that `pg_backend_pid()` names must be a process
 * called `postgres` here. Anything else (a remote server, a server in another pid namespace, no permission
 * to renice another user's process) is skipped with one warning; the connection is used as it is.
 */
import { readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type pg from 'pg';

export type BackendNiceOutcome = { pid: number; nice: number } | { skipped: string };

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

function isLocalHost(host: string | undefined): boolean {
  return host === undefined || host === '' || host.startsWith('/') || LOCAL_HOSTS.has(host);
}

function processName(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Renice one connected client's backend by `nice` steps (at most 19). */
export async function niceBackend(client: pg.ClientBase, nice: number): Promise<BackendNiceOutcome> {
  const host = (client as unknown as { host?: string }).host;
  if (!isLocalHost(host)) return { skipped: `server ${host ?? '?'} is not on this machine` };
  const r = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = Number(r.rows[0]?.pid);
  if (!Number.isInteger(pid) || pid <= 0) return { skipped: 'no backend pid' };
  const name = processName(pid);
  if (name !== 'postgres') return { skipped: `process ${pid} here is ${name === undefined ? 'not visible' : `"${name}"`}, not a postgres backend` };
  try {
    const target = Math.min(19, getPriority(pid) + nice);
    setPriority(pid, target);
    return { pid, nice: target };
  } catch (err) {
    return { skipped: `cannot renice backend ${pid}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * A PgDb `prepare` hook that renices each new connection's backend; `report` hears each outcome (the caller
 * logs the first skip once). A failure never fails the connection.
 */
export function niceBackends(nice: number, report: (outcome: BackendNiceOutcome) => void): ((client: pg.ClientBase) => Promise<void>) | undefined {
  if (nice <= 0) return undefined;
  return (client) => niceBackend(client, nice).then(report, (err: unknown) => report({ skipped: err instanceof Error ? err.message : String(err) }));
}
