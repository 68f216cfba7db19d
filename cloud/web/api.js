// The dashboard's only door to the cloud: fetch with the bearer token, the error envelope
// {error:{code,message}} turned into ApiError, and the SSE live stream.
const TOKEN_KEY = 'safeloop.token';
const USER_KEY = 'safeloop.user';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export function getSession() {
  try {
    const token = localStorage.getItem(TOKEN_KEY);
    const user = JSON.parse(localStorage.getItem(USER_KEY) ?? 'null');
    return token && user ? { token, user } : null;
  } catch {
    return null;
  }
}

function saveSession(token, user) {
  localStorage.setItem(TOKEN_KEY, token);
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

export function clearSession() {
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(USER_KEY);
}

/** Called when any request answers 401: the app sends the user back to log-in. */
let onUnauthorised = () => undefined;
export function setUnauthorisedHandler(fn) {
  onUnauthorised = fn;
}

export async function request(method, path, body) {
  const session = getSession();
  const headers = { accept: 'application/json' };
  if (session) headers.authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', err instanceof Error ? err.message : String(err));
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!res.ok) {
    const code = json?.error?.code ?? `HTTP_${res.status}`;
    const message = json?.error?.message ?? (text || res.statusText);
    if (res.status === 401 && !path.startsWith('/api/auth/')) onUnauthorised();
    throw new ApiError(res.status, code, message);
  }
  return json;
}

/** Fetch a binary (an attachment) with the token and hand back an object URL for <img src>. */
export async function getObjectUrl(path) {
  const session = getSession();
  const res = await fetch(path, { headers: session ? { authorization: `Bearer ${session.token}` } : {} });
  if (!res.ok) throw new ApiError(res.status, `HTTP_${res.status}`, res.statusText);
  return URL.createObjectURL(await res.blob());
}

/** Download a file from an authenticated route (a plain link cannot carry the bearer token). */
export async function download(path, filename) {
  const url = await getObjectUrl(path);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});

/** Build a query string, leaving out empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

export async function login(username, password) {
  const res = await request('POST', '/api/auth/login', { username, password });
  saveSession(res.token, res.user);
  return res.user;
}

export function logout() {
  const s = getSession();
  clearSession();
  if (s) {
    // Best effort: the server may or may not keep sessions; the token is gone from this browser either way.
    fetch('/api/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${s.token}` } }).catch(() => undefined);
  }
}

/** Lists arrive either as an array or as {items,total}; accept both. */
export function itemsOf(res) {
  if (Array.isArray(res)) return res;
  if (res && Array.isArray(res.items)) return res.items;
  return [];
}

/**
 * The live stream. EventSource cannot send headers, and the session token must never travel in a
 * URL (proxy logs, history), so the stream opens with a single-use 60-second ticket from
 * POST /api/stream/ticket. A spent ticket cannot reconnect: on any error the stream closes and
 * onClosed() lets the app probe the session and open a new stream with a new ticket.
 * Listeners: onAlarm(alarm), onLatest(readings[]), onStatus(connected:boolean); every open calls
 * onStatus(true) so views refetch what they may have missed.
 */
export function openStream({ onAlarm, onLatest, onStatus, onClosed, onNotification }) {
  const s = getSession();
  if (!s || typeof EventSource === 'undefined') return { close: () => undefined };
  let es = null;
  let closed = false;
  request('POST', '/api/stream/ticket').then(
    (t) => {
      if (!closed) listen(new EventSource(`/api/stream${qs({ ticket: t.ticket })}`));
    },
    () => {
      if (closed) return;
      onStatus?.(false);
      onClosed?.();
    },
  );
  return {
    close: () => {
      closed = true;
      es?.close();
    },
  };

  function listen(source) {
    es = source;
    const parse = (ev) => {
      try {
        return JSON.parse(ev.data);
      } catch {
        return null;
      }
    };
    es.addEventListener('open', () => onStatus?.(true));
    es.addEventListener('error', () => {
      // The ticket is spent: EventSource's own reconnect would be refused, so stop here and let the app reopen.
      es.close();
      onStatus?.(false);
      if (!closed) onClosed?.();
    });
    es.addEventListener('alarm', (ev) => {
      const data = parse(ev);
      if (data) onAlarm?.(data.alarm ?? data);
    });
    es.addEventListener('notification', (ev) => {
      const data = parse(ev);
      if (data) onNotification?.(data);
    });
    es.addEventListener('latest', (ev) => {
      const data = parse(ev);
      if (!data) return;
      // {siteId, readings} from the live hub; a bare array or a single reading also accepted.
      const list = Array.isArray(data) ? data : Array.isArray(data.readings) ? data.readings : data.point ? [data] : itemsOf(data);
      onLatest?.(list);
    });
  }
}
