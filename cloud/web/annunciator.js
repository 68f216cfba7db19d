// Annunciation: while a severe alarm (二级/HH/LL, 红/橙) waits for acknowledgement, the page sounds a
// chime, the tab title and icon carry the count and flash, and a banner names the most severe one
// with a one-click 确认. A return to alarm is announced exactly like a new alarm. The sound can be
// switched off for this browser session; the top bar then says so in words, never silently.
import { alarmTitle } from './alarm-title.js';
import { get, itemsOf, qs } from './api.js';
import { compareAlarms, colourOf } from './alarm-model.js';
import { announceKey, iconSvg, needsAnnunciation, tabTitle } from './annunciation-model.js';
import { alarmAudio } from './alarm-sound.js';
import { colourChip, h, toast } from './dom.js';
import { colourLabel, fmtTime, t, tEnum } from './i18n.js';
import { actionsFor } from './roles.js';
import { runAction } from './views/alarm-actions.js';

const MUTE_KEY = 'safeloop.soundOff';
const FLASH_MS = 1000;

function sessionMuted() {
  try {
    return sessionStorage.getItem(MUTE_KEY) === '1';
  } catch {
    return false;
  }
}

function setSessionMuted(on) {
  try {
    if (on) sessionStorage.setItem(MUTE_KEY, '1');
    else sessionStorage.removeItem(MUTE_KEY);
  } catch {
    /* private mode: the choice lasts this page only */
  }
}

export function createAnnunciator() {
  let user = null;
  let alarms = new Map();
  let sites = new Map();
  const announced = new Set();
  let muted = sessionMuted();
  let blocked = false;
  let baseTitle = document.title;
  let phase = false;
  let flashTimer = null;
  let generation = 0;
  let offs = [];

  const banner = () => document.getElementById('alarm-banner');
  const toggle = () => document.getElementById('sound-toggle');

  function pending() {
    return [...alarms.values()].filter((a) => needsAnnunciation(a, user)).sort(compareAlarms);
  }

  async function refetch() {
    if (!user) return;
    const g = ++generation;
    const [res, siteList] = await Promise.all([
      get(`/api/alarms${qs({ state: 'open', pageSize: 200 })}`),
      sites.size ? null : get('/api/sites').catch(() => []),
    ]);
    if (g !== generation || !user) return;
    if (siteList) sites = new Map(itemsOf(siteList).map((s) => [s.id, s.name]));
    alarms = new Map(itemsOf(res).map((a) => [a.id, a]));
    // What was already open when the page loaded is sounding, but not news: no toast for it.
    for (const a of alarms.values()) if (needsAnnunciation(a, user)) announced.add(announceKey(a));
    update();
  }

  function onAlarm(a) {
    if (!user || !a?.id) return;
    alarms.set(a.id, { ...(alarms.get(a.id) ?? {}), ...a });
    if (a.state === 'closed') alarms.delete(a.id);
    const key = announceKey(a);
    if (needsAnnunciation(a, user) && !announced.has(key)) {
      announced.add(key);
      announce(a);
    }
    update();
  }

  /** New or returned: restart the chime from its first note and say what it is. */
  function announce(a) {
    const audio = alarmAudio();
    audio.currentTime = 0;
    audio.dataset.announced = String(Number(audio.dataset.announced ?? 0) + 1);
    const words = Number(a.reactivations ?? 0) > 0 ? t('returnedAlarm', { title: alarmTitle(a) }) : t('newAlarm', { title: alarmTitle(a) });
    // The desk announces new alarms itself; a return to alarm is announced everywhere.
    if (Number(a.reactivations ?? 0) > 0 || !location.hash.startsWith('#/alarms')) toast(words, 'error');
    banner()?.classList.add('is-new');
    setTimeout(() => banner()?.classList.remove('is-new'), 4000);
  }

  function update() {
    const list = pending();
    sound(list.length > 0);
    drawBanner(list);
    drawToggle();
    drawTitle(list.length);
  }

  function sound(on) {
    const audio = alarmAudio();
    if (!on || muted) {
      if (!audio.paused) audio.pause();
      audio.dataset.state = on ? 'muted' : 'idle';
      blocked = false;
      return;
    }
    if (!audio.paused) {
      audio.dataset.state = 'playing';
      return;
    }
    audio.play().then(
      () => {
        blocked = false;
        audio.dataset.state = 'playing';
        drawToggle();
      },
      (err) => {
        // The browser wants a click on the page first: say so, and offer the click.
        blocked = true;
        audio.dataset.state = 'blocked';
        audio.dataset.error = err?.name ?? String(err);
        drawToggle();
        drawBanner(pending());
      },
    );
  }

  function drawTitle(count) {
    document.title = tabTitle(count, baseTitle, t('unackedTitle', { n: count }), phase);
    const icon = document.getElementById('favicon');
    if (icon) icon.setAttribute('href', `data:image/svg+xml,${iconSvg(count)}`);
    if (count > 0 && !flashTimer) {
      flashTimer = setInterval(() => {
        phase = !phase;
        drawTitle(pending().length);
      }, FLASH_MS);
    } else if (count === 0 && flashTimer) {
      clearInterval(flashTimer);
      flashTimer = null;
      phase = false;
    }
  }

  function drawToggle() {
    const el = toggle();
    if (!el) return;
    el.hidden = !user;
    el.textContent = muted ? t('soundOff') : t('soundOn');
    el.setAttribute('aria-pressed', muted ? 'true' : 'false');
    el.title = muted ? t('soundTurnOn') : t('soundTurnOff');
    el.classList.toggle('is-muted', muted);
  }

  function drawBanner(list) {
    const el = banner();
    if (!el) return;
    if (!user || list.length === 0) {
      el.hidden = true;
      el.replaceChildren();
      return;
    }
    const top = list[0];
    const colour = colourOf(top);
    const canAck = actionsFor(top, user).includes('acknowledge');
    el.hidden = false;
    el.className = `alarm-banner sev-${colour ?? 'none'}${el.classList.contains('is-new') ? ' is-new' : ''}`;
    el.dataset.alarmId = top.id;
    el.replaceChildren(
      ...[
      h('strong', { class: 'banner-count' }, t('bannerCount', { n: list.length })),
      colourChip(colour, colourLabel(colour)),
      top.level ? h('span', { class: 'banner-level' }, tEnum('level', top.level)) : null,
      h('a', { class: 'banner-title', translate: 'no', href: `#/alarms/${encodeURIComponent(top.id)}` }, alarmTitle(top)),
      h('span', { class: 'banner-where' }, h('span', { translate: 'no' }, sites.get(top.siteId) ?? top.siteId), ` · ${fmtTime(top.recurredAt ?? top.raisedAt)}`),
      Number(top.reactivations ?? 0) > 0 ? h('span', { class: 'badge badge-recurred' }, t('recurred', { n: top.reactivations })) : null,
      muted ? h('span', { class: 'banner-muted' }, t('soundOffNote')) : null,
      blocked && !muted ? h('button', { type: 'button', class: 'btn', id: 'sound-enable', onclick: () => sound(true) }, t('soundBlocked')) : null,
      canAck
        ? h('button', { type: 'button', class: 'btn btn-primary', id: 'banner-ack', onclick: (ev) => acknowledge(top, ev.currentTarget) }, t('actAcknowledge'))
        : null,
      ].filter(Boolean),
    );
  }

  async function acknowledge(a, button) {
    button.disabled = true;
    const updated = await runAction(a, 'acknowledge').catch(() => null);
    if (updated?.id) onAlarm(updated);
    else await refetch().catch(() => undefined);
  }

  return {
    /** Start (or keep) annunciating for this user; safe to call on every route. */
    start(u, live) {
      if (user?.id === u.id) return;
      this.stop();
      user = u;
      muted = sessionMuted();
      offs = [live.on('alarm', onAlarm), live.on('status', (ok) => ok && void refetch().catch(() => undefined))];
      toggle()?.addEventListener('click', this.toggleSound);
      void refetch().catch(() => undefined);
    },
    stop() {
      user = null;
      generation++;
      for (const off of offs) off();
      offs = [];
      alarms = new Map();
      sites = new Map();
      announced.clear();
      toggle()?.removeEventListener('click', this.toggleSound);
      update();
    },
    /** Logging out ends the session's choice too. */
    forgetChoice() {
      setSessionMuted(false);
      muted = false;
    },
    toggleSound() {
      muted = !muted;
      setSessionMuted(muted);
      update();
    },
    setBaseTitle(title) {
      baseTitle = title;
      drawTitle(pending().length);
    },
    /** Language changed: redraw words. */
    redraw: () => update(),
  };
}
