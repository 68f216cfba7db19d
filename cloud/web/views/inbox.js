// The person's notification inbox: everything sent to them (new alarms, escalations, reminders,
// returns to alarm, 督办, review requests), read or unread, whether or not they were online at the time.
import { alarmTitle } from '../alarm-title.js';
import { get, post } from '../api.js';
import { h } from '../dom.js';
import { fmtDateTime, t, tEnum } from '../i18n.js';
import { ladderTarget } from '../audit-words.js';

/** Tell the top bar the unread count changed. */
export function inboxChanged(unread) {
  window.dispatchEvent(new CustomEvent('safeloop-inbox', { detail: { unread } }));
}

function reasonText(n) {
  if (n.reason === 'escalated') return t('escalatedTo', { target: ladderTarget(n.level) });
  return tEnum('reason', n.reason) || n.reason;
}

export async function renderInbox(root, _params, { live, navigate }) {
  let unreadOnly = false;
  const count = h('span', { class: 'muted', id: 'inbox-count' });
  const toggle = h('button', { type: 'button', class: 'btn btn-quiet', id: 'inbox-filter', onclick: () => { unreadOnly = !unreadOnly; void load(); } });
  const readAll = h('button', {
    type: 'button',
    class: 'btn',
    id: 'inbox-read-all',
    onclick: async () => {
      const r = await post('/api/inbox/read', {});
      inboxChanged(r?.unread ?? 0);
      await load();
    },
  }, t('markAllRead'));
  const list = h('ol', { class: 'inbox-list', id: 'inbox-list' });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, t('inboxTitle')), count, toggle, readAll), list);

  async function markRead(id) {
    const r = await post('/api/inbox/read', { ids: [id] });
    inboxChanged(r?.unread ?? 0);
  }

  function item(n) {
    const a = n.alarm ?? {};
    const open = async (ev) => {
      ev.preventDefault();
      if (!n.readAt) await markRead(n.id).catch(() => undefined);
      navigate(`#/alarms/${encodeURIComponent(n.alarmId)}`);
    };
    return h(
      'li',
      { class: `inbox-item reason-${n.reason} ${n.readAt ? 'is-read' : 'is-unread'}`, dataset: { id: n.id, reason: n.reason } },
      h('span', { class: `badge badge-reason` }, reasonText(n)),
      h('a', { href: `#/alarms/${encodeURIComponent(n.alarmId)}`, class: 'inbox-title', translate: 'no', onclick: open }, a.title ? alarmTitle(a) : n.alarmId),
      a.level ? h('span', { class: 'muted' }, ` · ${tEnum('level', a.level)}`) : null,
      h('time', { class: 'muted', datetime: new Date(Number(n.at)).toISOString() }, ` · ${fmtDateTime(n.at)}`),
      n.reason === 'urged' && n.from
        ? h('p', { class: 'inbox-urge' }, h('span', { translate: 'no' }, n.from.name ?? n.from.username), ' ', t('urgedBy', { at: fmtDateTime(n.dueAt) }), n.note ? h('q', { translate: 'no' }, n.note) : null)
        : null,
      h('span', { class: 'inbox-state muted' }, n.readAt ? t('readMark') : t('unreadMark')),
      n.readAt
        ? null
        : h('button', { type: 'button', class: 'btn btn-quiet', onclick: async () => { await markRead(n.id); await load(); } }, t('markRead')),
    );
  }

  async function load() {
    const r = await get(`/api/inbox?limit=200${unreadOnly ? '&unread=true' : ''}`);
    count.textContent = t('inboxUnread', { n: r.unread });
    toggle.textContent = unreadOnly ? t('showAll') : t('unreadOnly');
    readAll.disabled = r.unread === 0;
    inboxChanged(r.unread);
    list.replaceChildren(...(r.items.length ? r.items.map(item) : [h('li', { class: 'muted' }, t('inboxEmpty'))]));
  }

  const off = live.on('notification', () => void load().catch(() => undefined));
  await load();
  return () => off();
}
