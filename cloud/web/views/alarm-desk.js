// 报警处置台: open alarms, most severe and newest first, live over SSE; each handling step one or
// two clicks from the list; overdue and escalated alarms stand out; floods collapse by group.
import { alarmTitle } from '../alarm-title.js';
import { dutyBadges } from './duty-badges.js';
import { get, itemsOf, post, qs } from '../api.js';
import { compareAlarms, colourOf, filterFromHash, groupAlarms, isUnacknowledged, matchesFilter } from '../alarm-model.js';
import { colourChip, h, toast } from '../dom.js';
import { colourLabel, fmtDateTime, fmtNumber, t, tEnum } from '../i18n.js';
import { actionsFor } from '../roles.js';
import { actionLabel, runAction } from './alarm-actions.js';

const PAGE_SIZE = 50;
const LEVELS = ['GAS_2', 'GAS_1', 'HH', 'H', 'L', 'LL'];

export async function renderAlarmDesk(root, _params, { user, live, navigate }) {
  // A drill-down from the overview arrives with its filter in the address.
  const filter = filterFromHash(location.hash);
  let alarms = [];
  let total = 0;
  const expanded = new Set();
  const fresh = new Set();
  const sitesList = itemsOf(await get('/api/sites').catch(() => []));
  const siteName = (id) => sitesList.find((s) => s.id === id)?.name ?? id;

  const select = (id, label, options, key) => {
    const el = h('select', { id, name: key }, options.map(([v, l]) => h('option', { value: v }, l)));
    el.value = filter[key];
    el.addEventListener('change', () => {
      filter[key] = el.value;
      filter.page = 1;
      void load();
    });
    return h('div', { class: 'field-inline' }, h('label', { for: id }, label), el);
  };
  const filters = h(
    'form',
    { class: 'filters', 'aria-label': t('alarmsTitle'), onsubmit: (e) => e.preventDefault() },
    select('filter-state', t('filterState'), [['open', t('stateOpen')], ['closed', t('stateClosed')], ['all', t('stateAll')]], 'state'),
    select('filter-level', t('filterLevel'), [['', t('all')], ...LEVELS.map((l) => [l, tEnum('level', l)])], 'level'),
    select('filter-site', t('filterSite'), [['', t('all')], ...sitesList.map((s) => [s.id, s.name])], 'siteId'),
  );
  const summary = h('p', { class: 'muted', id: 'alarm-summary', 'aria-live': 'polite' });
  const enterpriseName = (id) => sitesList.find((s) => s.enterpriseId === id)?.enterpriseName ?? id;
  const drill = [
    filter.enterpriseId ? h('span', { translate: 'no' }, enterpriseName(filter.enterpriseId)) : null,
    filter.from ? `${fmtDateTime(filter.from)} – ${fmtDateTime(filter.to || Date.now())}` : null,
  ].filter(Boolean);
  const drillNote = drill.length
    ? h('p', { class: 'drill-note', id: 'drill-note' }, t('filteredBy', { what: '' }), ...drill.flatMap((x, i) => (i ? [' · ', x] : [x])), ' ', h('a', { href: '#/alarms' }, t('clearFilter')))
    : null;
  const list = h('ul', { class: 'alarm-list', id: 'alarm-list', 'aria-label': t('alarmsTitle') });
  const pager = h('nav', { class: 'pager', 'aria-label': t('pagination') });
  root.append(h('div', { class: 'page-head' }, h('h1', {}, t('alarmsTitle')), summary), ...(drillNote ? [drillNote] : []), filters, list, pager);

  async function load() {
    const res = await get(`/api/alarms${qs({ state: filter.state, siteId: filter.siteId, level: filter.level, enterpriseId: filter.enterpriseId, from: filter.from, to: filter.to, page: filter.page, pageSize: PAGE_SIZE })}`);
    alarms = itemsOf(res);
    total = typeof res?.total === 'number' ? res.total : alarms.length;
    draw();
  }

  function draw() {
    const focused = /** @type {HTMLElement | null} */ (document.activeElement);
    const focusedId = /** @type {HTMLElement | null} */ (focused?.closest?.('[data-alarm-id]'))?.dataset.alarmId;
    const focusedAction = focused?.dataset?.action;
    const sorted = [...alarms].sort(compareAlarms);
    const groups = groupAlarms(sorted);
    list.replaceChildren(
      ...(groups.length === 0
        ? [h('li', { class: 'empty muted' }, t('noAlarms'))]
        : groups.flatMap((g) => {
            const open = g.head.groupId && expanded.has(g.head.groupId);
            const rows = [row(g.head, g)];
            if (open) for (const a of g.rest) rows.push(row(a, null, true));
            return rows;
          })),
    );
    summary.textContent = t('totalAlarms', { n: total });
    drawPager();
    if (focusedId) {
      const el = list.querySelector(`[data-alarm-id="${CSS.escape(focusedId)}"]`);
      const target = (focusedAction && el?.querySelector(`[data-action="${CSS.escape(focusedAction)}"]`)) || el;
      target?.focus();
    }
  }

  function drawPager() {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (pages <= 1) {
      pager.replaceChildren();
      return;
    }
    const go = (p) => () => {
      filter.page = p;
      void load();
    };
    pager.replaceChildren(
      h('button', { type: 'button', class: 'btn', disabled: filter.page <= 1, onclick: go(filter.page - 1) }, t('prevPage')),
      h('span', {}, t('pageOf', { p: filter.page, n: pages })),
      h('button', { type: 'button', class: 'btn', disabled: filter.page >= pages, onclick: go(filter.page + 1) }, t('nextPage')),
    );
  }

  function row(a, group, inGroup = false) {
    const colour = colourOf(a);
    const overdue = Boolean(a.overdue);
    const escalated = Number(a.escalationLevel ?? 0) > 0;
    const classes = ['alarm-row', `sev-${colour ?? 'none'}`];
    if (overdue) classes.push('is-overdue');
    if (escalated) classes.push('is-escalated');
    if (isUnacknowledged(a)) classes.push('is-unacked');
    if (fresh.has(a.id)) classes.push('is-new');
    if (inGroup) classes.push('in-group');
    const openDetail = () => navigate(`#/alarms/${encodeURIComponent(a.id)}`);
    const titleId = `alarm-title-${a.id}`;
    const actions = actionsFor(a, user).map((act) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn ${act === 'acknowledge' || act === 'review' ? 'btn-primary' : ''}`,
          dataset: { action: act },
          'aria-describedby': titleId,
          onclick: async (ev) => {
            ev.stopPropagation();
            ev.currentTarget.disabled = true;
            try {
              const updated = await runAction(a, act);
              if (updated && updated.id) upsert(updated);
              else await load();
            } catch {
              await load().catch(() => undefined);
            }
          },
        },
        actionLabel(act),
      ),
    );
    // A flood is one cause: its unacknowledged members can be acknowledged together from its head row.
    const unackedInGroup = group ? [group.head, ...group.rest].filter((x) => isUnacknowledged(x) && !x.shelveKind) : [];
    const groupAck =
      group && unackedInGroup.length > 1 && actionsFor(a, user).includes('acknowledge')
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn',
              dataset: { action: 'acknowledge-group' },
              'aria-describedby': titleId,
              onclick: async (ev) => {
                ev.stopPropagation();
                ev.currentTarget.disabled = true;
                const r = await acknowledgeAll(unackedInGroup);
                toast(t('groupAcked', { n: r.ok, total: unackedInGroup.length }), r.failed ? 'error' : 'ok');
                await load().catch(() => undefined);
              },
            },
            t('ackGroup', { n: unackedInGroup.length }),
          )
        : null;
    const groupToggle =
      group && group.rest.length > 0
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-quiet group-toggle',
              'aria-expanded': expanded.has(a.groupId) ? 'true' : 'false',
              onclick: (ev) => {
                ev.stopPropagation();
                if (expanded.has(a.groupId)) expanded.delete(a.groupId);
                else expanded.add(a.groupId);
                draw();
              },
            },
            expanded.has(a.groupId) ? t('collapseGroup') : t('moreInGroup', { n: group.rest.length }),
          )
        : null;
    const li = h(
      'li',
      {
        class: classes.join(' '),
        tabindex: '0',
        dataset: { alarmId: a.id, state: a.state },
        'aria-labelledby': titleId,
        onclick: openDetail,
        onkeydown: (ev) => {
          if (ev.target !== ev.currentTarget) return;
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            openDetail();
          }
        },
      },
      h(
        'div',
        { class: 'alarm-sev' },
        colourChip(colour, colourLabel(colour)),
        a.level ? h('span', { class: 'level' }, tEnum('level', a.level)) : h('span', { class: 'level' }, tEnum('kind', a.kind)),
      ),
      h(
        'div',
        { class: 'alarm-main' },
        h('span', { class: 'alarm-title', id: titleId, translate: 'no' }, alarmTitle(a)),
        h('span', { class: 'muted' }, h('span', { translate: 'no' }, siteName(a.siteId)), a.point ? h('span', { class: 'point-id', translate: 'no' }, ` · ${a.point}`) : ''),
        h(
          'span',
          { class: 'badges' },
          dutyBadges(a),
          Number(a.reactivations ?? 0) > 0 ? h('span', { class: 'badge badge-recurred' }, t('recurred', { n: a.reactivations })) : null,
          h('span', { class: `badge badge-cond-${a.condition ?? 'active'}` }, tEnum('condition', a.condition ?? 'active')),
        ),
      ),
      h('div', { class: 'alarm-value' }, valueText(a)),
      h('div', { class: 'alarm-time' }, h('time', { datetime: new Date(Number(a.raisedAt)).toISOString?.() }, fmtDateTime(a.raisedAt))),
      // A shelved alarm reads as shelved, not as waiting for acknowledgement.
      h('div', { class: 'alarm-state' }, a.shelveKind ? t(a.shelveKind === 'suppressed' ? 'state_suppressed' : 'state_shelved') : tEnum('state', a.state)),
      h('div', { class: 'alarm-actions' }, actions, groupAck, groupToggle),
    );
    return li;
  }

  function upsert(a) {
    const i = alarms.findIndex((x) => x.id === a.id);
    const belongs = matchesFilter(a, filter);
    if (i >= 0 && belongs) alarms[i] = { ...alarms[i], ...a };
    else if (i >= 0) {
      alarms.splice(i, 1);
      total = Math.max(0, total - 1);
    } else if (belongs && filter.page === 1) {
      alarms.push(a);
      total += 1;
      return true;
    }
    draw();
    return false;
  }

  let refetch = null;
  const offAlarm = live.on('alarm', (a) => {
    if (!a || !a.id) return;
    const known = alarms.some((x) => x.id === a.id);
    if (!known && matchesFilter(a, filter)) {
      fresh.add(a.id);
      setTimeout(() => {
        fresh.delete(a.id);
        list.querySelector(`[data-alarm-id="${CSS.escape(a.id)}"]`)?.classList.remove('is-new');
      }, 10_000);
      toast(t('newAlarm', { title: alarmTitle(a) }), colourOf(a) === 'red' || colourOf(a) === 'orange' ? 'error' : 'info');
    }
    if (upsert(a)) draw();
    // The stream carries a summary; fetch the full rows (limit, overdue) shortly after.
    clearTimeout(refetch);
    refetch = setTimeout(() => void load().catch(() => undefined), 1500);
  });
  const offStatus = live.on('status', (ok) => {
    if (ok) void load().catch(() => undefined);
  });
  await load();
  return () => {
    clearTimeout(refetch);
    offAlarm();
    offStatus();
  };
}

/** Acknowledge several alarms one after another; each is its own audited action (a refusal skips that one). */
async function acknowledgeAll(alarms) {
  let ok = 0;
  let failed = 0;
  for (const a of alarms) {
    try {
      await post(`/api/alarms/${encodeURIComponent(a.id)}/acknowledge`, { note: t('groupAckNote') });
      ok += 1;
    } catch {
      failed += 1;
    }
  }
  return { ok, failed };
}

function valueText(a) {
  if (a.value === undefined || a.value === null) return '';
  const v = typeof a.value === 'number' ? fmtNumber(a.value) : String(a.value);
  const unit = a.unit ? ` ${a.unit}` : '';
  const limit = typeof a.limit === 'number' ? ` / ${fmtNumber(a.limit)}${unit}` : '';
  // The worst value is what tripped the alarm: show it against the limit, and the current one beside it.
  if (typeof a.peakValue === 'number' && typeof a.value === 'number' && a.peakValue !== a.value) {
    return `${t('peakShort')} ${fmtNumber(a.peakValue)}${unit}${limit} · ${t('nowShort')} ${v}${unit}`;
  }
  return `${v}${unit}${limit}`;
}
