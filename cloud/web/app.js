// Boot, hash router, top bar, language switch and the one live-stream hub every view listens to.
import { alarmTitle } from './alarm-title.js';
import { desktopNotify, drawDesktopToggle } from './desktop-notify.js';
import { getSession, logout, openStream, setUnauthorisedHandler, get } from './api.js';
import { clear, h, toast } from './dom.js';
import { getLang, setLang, t, tEnum } from './i18n.js';
import { isRegulator } from './roles.js';
import { renderLogin } from './views/login.js';
import { renderMap } from './views/map.js';
import { renderAlarmDesk } from './views/alarm-desk.js';
import { renderAlarmDetail } from './views/alarm-detail.js';
import { renderSite } from './views/site.js';
import { renderDevice } from './views/device.js';
import { renderPoint } from './views/point.js';
import { renderOverview } from './views/overview.js';
import { createAnnunciator } from './annunciator.js';
import { renderInbox } from './views/inbox.js';
import { PROVISIONING_ROLES, renderGateways } from './views/gateways.js';

/**
 * @typedef {{ user: any, live: any, regions: () => Promise<any>, navigate: (hash: string) => void }} ViewContext
 * @typedef {{ re: RegExp, view: (root: HTMLElement, params: any, ctx: ViewContext) => any, nav?: string, public?: boolean, keys?: string[] }} Route
 */
/** @type {Route[]} */
const ROUTES = [
  { re: /^#\/login$/, view: renderLogin, public: true },
  { re: /^#\/map$/, view: renderMap, nav: 'map' },
  { re: /^#\/alarms(?:\?.*)?$/, view: renderAlarmDesk, nav: 'alarms' },
  { re: /^#\/alarms\/([^/]+)$/, view: renderAlarmDetail, nav: 'alarms', keys: ['alarmId'] },
  { re: /^#\/sites\/([^/]+)$/, view: renderSite, nav: 'map', keys: ['siteId'] },
  { re: /^#\/sites\/([^/]+)\/devices\/([^/]+)$/, view: renderDevice, nav: 'map', keys: ['siteId', 'deviceId'] },
  { re: /^#\/points\/([^/]+)\/([^/]+)\/([^/]+)$/, view: renderPoint, nav: 'map', keys: ['siteId', 'deviceId', 'pointId'] },
  { re: /^#\/overview$/, view: renderOverview, nav: 'overview' },
  { re: /^#\/inbox$/, view: renderInbox, nav: 'inbox' },
  { re: /^#\/gateways$/, view: renderGateways, nav: 'gateways' },
];

/** Live events fan out to whichever view is mounted. */
const listeners = { alarm: new Set(), latest: new Set(), status: new Set(), notification: new Set() };
let unread = 0;
const live = {
  on(kind, fn) {
    listeners[kind].add(fn);
    return () => listeners[kind].delete(fn);
  },
  connected: false,
};
let stream = null;
let retryTimer = null;
const STREAM_RETRY_MS = 5000;
let cleanupView = null;
let regionsCache = null;
const annunciator = createAnnunciator();

function emit(kind, payload) {
  for (const fn of [...listeners[kind]]) {
    try {
      fn(payload);
    } catch (err) {
      // One broken view listener must not stop the others from updating.
      reportError(err);
    }
  }
}

function startStream() {
  stream?.close();
  clearTimeout(retryTimer);
  stream = openStream({
    onClosed: () => {
      // Probe with a normal request: a 401 sends the user to log-in; anything else retries.
      retryTimer = setTimeout(() => {
        if (!getSession()) return;
        get('/api/me').then(startStream, (err) => {
          if (err?.status !== 401 && getSession()) startStream();
        });
      }, STREAM_RETRY_MS);
    },
    onAlarm: (a) => emit('alarm', a),
    // Notifications addressed to this user (escalations, re-annunciations, floods). On the alarm
    // desk a newly raised alarm is already announced by the desk itself.
    onNotification: (n) => {
      // Stored in the inbox by the cloud before it was pushed: count it, let the inbox view reload.
      unread += 1;
      renderInboxLink();
      emit('notification', n);
      if (n.alarm) {
        desktopNotify({ title: `${tEnum('reason', n.reason) || n.reason} · ${alarmTitle(n.alarm)}`, body: n.note ?? '', tag: n.id, href: `#/alarms/${encodeURIComponent(n.alarm.id)}` });
      }
      if (n.reason === 'raised' && location.hash.startsWith('#/alarms')) return;
      const severe = n.alarm?.colour === 'red' || n.alarm?.colour === 'orange' || n.reason === 'escalated' || n.reason === 'returned';
      toast(`${tEnum('reason', n.reason) || n.reason} · ${n.alarm ? alarmTitle(n.alarm) : ''}`, severe ? 'error' : 'info');
    },
    onLatest: (r) => emit('latest', r),
    onStatus: (ok) => {
      live.connected = ok;
      renderLiveStatus();
      emit('status', ok);
    },
  });
}

function renderLiveStatus() {
  const el = document.getElementById('live-status');
  if (!el) return;
  el.textContent = live.connected ? `● ${t('liveConnected')}` : `○ ${t('liveDisconnected')}`;
  el.className = `live ${live.connected ? 'live-ok' : 'live-down'}`;
}

function renderInboxLink() {
  const el = document.getElementById('inbox-link');
  if (!el) return;
  el.textContent = unread > 0 ? `✉ ${t('navInbox')} (${unread})` : `✉ ${t('navInbox')}`;
  el.setAttribute('aria-label', t('inboxBell', { n: unread }));
  el.classList.toggle('has-unread', unread > 0);
}

function refreshUnread() {
  get('/api/inbox?unread=true&limit=1').then(
    (r) => {
      unread = Number(r?.unread ?? 0);
      renderInboxLink();
    },
    () => undefined,
  );
}

function navItems(user) {
  const items = [
    { id: 'map', href: '#/map', label: t('navMap') },
    { id: 'alarms', href: '#/alarms', label: t('navAlarms') },
  ];
  if (isRegulator(user)) items.push({ id: 'overview', href: '#/overview', label: t('navOverview') });
  if (PROVISIONING_ROLES.includes(user?.role)) items.push({ id: 'gateways', href: '#/gateways', label: t('navGateways') });
  return items;
}

function renderChrome(route) {
  const session = getSession();
  const bar = document.getElementById('topbar');
  document.getElementById('skip-link').textContent = t('skipToMain');
  document.getElementById('brand').textContent = t('appName');
  annunciator.setBaseTitle(`SafeLoop · ${t('appName')}`);
  document.getElementById('lang-switch').textContent = t('langSwitch');
  document.getElementById('lang-switch').setAttribute('aria-label', `${t('language')}: ${t('langSwitch')}`);
  document.getElementById('logout').textContent = t('logout');
  if (!session || route?.public) {
    bar.hidden = true;
    return;
  }
  bar.hidden = false;
  const u = session.user;
  // The person's name is data (any language); the role is words of the page's language.
  document.getElementById('user-label').replaceChildren(h('span', { translate: 'no' }, u.name ?? u.id), ` · ${t(`role_${u.role}`)}`);
  const nav = clear(document.getElementById('nav'));
  for (const item of navItems(u)) {
    nav.append(h('a', { href: item.href, 'aria-current': route?.nav === item.id ? 'page' : undefined }, item.label));
  }
  renderLiveStatus();
  renderInboxLink();
  drawDesktopToggle(document.getElementById('desktop-toggle'), () => toast(t('desktopBlocked'), 'error'));
  document.getElementById('inbox-link').setAttribute('aria-current', route?.nav === 'inbox' ? 'page' : 'false');
}

export async function regions() {
  if (!regionsCache) regionsCache = get('/api/regions').catch(() => []);
  return regionsCache;
}

async function route() {
  const hash = location.hash || '#/map';
  const session = getSession();
  const match = ROUTES.map((r) => ({ r, m: hash.match(r.re) })).find((x) => x.m);
  if (!match) {
    location.hash = '#/map';
    return;
  }
  if (!match.r.public && !session) {
    location.hash = '#/login';
    return;
  }
  if (match.r.public && session) {
    location.hash = '#/map';
    return;
  }
  if (session && !stream) {
    startStream();
    refreshUnread();
  }
  if (session) annunciator.start(session.user, live);
  const params = {};
  (match.r.keys ?? []).forEach((k, i) => (params[k] = decodeURIComponent(match.m[i + 1])));
  cleanupView?.();
  cleanupView = null;
  renderChrome(match.r);
  const main = clear(document.getElementById('main'));
  try {
    cleanupView = (await match.r.view(main, params, { user: session?.user, live, regions, navigate })) ?? null;
  } catch (err) {
    reportError(err);
    main.append(h('p', { class: 'error', role: 'alert' }, t('error', { msg: err instanceof Error ? err.message : String(err) })));
  }
}

function navigate(hash) {
  if (location.hash === hash) void route();
  else location.hash = hash;
}

function reportError(err) {
  // Surfaced in the page; the browser console is the only log a static page has.
  window.dispatchEvent(new CustomEvent('safeloop-error', { detail: err }));
}

function boot() {
  setLang(getLang());
  setUnauthorisedHandler(() => {
    annunciator.stop();
    logout();
    clearTimeout(retryTimer);
    stream?.close();
    stream = null;
    location.hash = '#/login';
  });
  document.getElementById('lang-switch').addEventListener('click', () => {
    setLang(getLang() === 'zh' ? 'en' : 'zh');
    annunciator.redraw();
    void route();
  });
  document.getElementById('logout').addEventListener('click', () => {
    annunciator.forgetChoice();
    annunciator.stop();
    logout();
    clearTimeout(retryTimer);
    stream?.close();
    stream = null;
    regionsCache = null;
    location.hash = '#/login';
  });
  window.addEventListener('hashchange', () => void route());
  window.addEventListener('safeloop-login', () => {
    regionsCache = null;
    startStream();
    refreshUnread();
  });
  window.addEventListener('safeloop-inbox', (ev) => {
    unread = Number(/** @type {CustomEvent} */ (ev).detail?.unread ?? 0);
    renderInboxLink();
  });
  void route();
}

boot();
