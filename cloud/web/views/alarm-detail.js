// One alarm: its facts, its handling actions, the feedback, who was paged how and when, and the full audit trail.
import { alarmTitle } from '../alarm-title.js';
import { get, getObjectUrl } from '../api.js';
import { colourOf } from '../alarm-model.js';
import { colourChip, h } from '../dom.js';
import { colourLabel, fmtDateTime, fmtNumber, t, tEnum } from '../i18n.js';
import { actionsFor, remarksFor } from '../roles.js';
import { auditNote, auditSegments, ladderTarget, personName } from '../audit-words.js';
import { actionLabel, runAction } from './alarm-actions.js';
import { dutyBadges } from './duty-badges.js';

export async function renderAlarmDetail(root, { alarmId }, { user, live, navigate }) {
  const box = h('div', { class: 'alarm-detail' });
  root.append(h('p', {}, h('a', { href: '#/alarms' }, `← ${t('navAlarms')}`)), box);

  async function load() {
    const res = await get(`/api/alarms/${encodeURIComponent(alarmId)}`);
    const alarm = res?.alarm ?? res;
    const audit = res?.audit ?? res?.auditTrail ?? alarm?.audit ?? alarm?.auditTrail ?? [];
    const fb = res?.feedback ?? alarm?.feedback ?? null;
    // The API keeps every feedback submitted (a rejected review asks for a new one): show the latest.
    const feedback = Array.isArray(fb) ? (fb[fb.length - 1] ?? null) : fb;
    const deliveries = await get(`/api/alarms/${encodeURIComponent(alarmId)}/deliveries`).then((r) => r?.deliveries ?? [], () => null);
    draw(alarm, audit, feedback, deliveries, res?.people ?? {});
  }

  function draw(a, audit, feedback, deliveries, people) {
    const colour = colourOf(a);
    const facts = [
      [t('site'), h('span', { translate: 'no' }, a.siteName ?? a.siteId)],
      [t('point'), a.point ? h('a', { href: `#/points/${a.point.split('/').map(encodeURIComponent).join('/')}`, translate: 'no', class: 'point-id' }, a.point) : '—'],
      [t('colLevel'), a.level ? tEnum('level', a.level) : tEnum('kind', a.kind)],
      [t('colWorst'), colourChip(colour, colourLabel(colour))],
      [t('value'), a.value === undefined || a.value === null ? '—' : `${typeof a.value === 'number' ? fmtNumber(a.value) : a.value}${a.unit ? ` ${a.unit}` : ''}`],
      [t('limit'), typeof a.limit === 'number' ? `${fmtNumber(a.limit)}${a.unit ? ` ${a.unit}` : ''}` : '—'],
      [t('colState'), tEnum('state', a.state)],
      [t('raisedAt'), fmtDateTime(a.raisedAt)],
      [t('clearedAt'), a.clearedAt ? fmtDateTime(a.clearedAt) : tEnum('condition', a.condition ?? 'active')],
      [t('escalationLevel'), Number(a.escalationLevel ?? 0) > 0 ? t('escalatedTo', { target: ladderTarget(a.escalationLevel) }) : ladderTarget(0)],
      a.ackDueAt ? [t('whoActsNext'), t('ackDue', { at: fmtDateTime(a.ackDueAt) })] : a.feedbackDueAt ? [t('whoActsNext'), t('feedbackDue', { at: fmtDateTime(a.feedbackDueAt) })] : [null, null],
      Number(a.reactivations ?? 0) > 0 ? [t('recurred', { n: a.reactivations }), a.recurredAt ? fmtDateTime(a.recurredAt) : '—'] : [null, null],
      // The worst value since it was raised (or last returned): what tripped it, not the clearing value.
      typeof a.peakValue === 'number' ? [Number(a.reactivations ?? 0) > 0 ? t('peakValue') : t('peakSinceRaised'), `${fmtNumber(a.peakValue)}${a.unit ? ` ${a.unit}` : ''}`] : [null, null],
      a.shelveKind
        ? [
            t(a.shelveKind === 'suppressed' ? 'state_suppressed' : 'state_shelved'),
            h('span', {}, h('span', { translate: 'no' }, personName(people, a.shelvedBy)), ` · ${t('until', { at: fmtDateTime(a.shelvedUntil) })}`, a.shelveReason ? h('span', { translate: 'no' }, ` — ${a.shelveReason}`) : ''),
          ]
        : [null, null],
    ].filter(([k, v]) => k && v !== null);
    const noteBox = h('textarea', { id: 'action-note', name: 'note', rows: 2, maxlength: 2000 });
    const canNote = actionsFor(a, user).some((x) => x === 'acknowledge' || x === 'start-handling');
    const actions = [...actionsFor(a, user), ...remarksFor(a, user)].map((act) =>
      h(
        'button',
        {
          type: 'button',
          class: `btn ${act === 'acknowledge' || act === 'review' ? 'btn-primary' : ''}`,
          dataset: { action: act },
          onclick: async () => {
            try {
              await runAction(a, act, { note: noteBox.value.trim() });
            } finally {
              await load().catch(() => undefined);
            }
          },
        },
        actionLabel(act),
      ),
    );
    // replaceChildren would print a null as the word "null": drop absent parts first.
    const parts = [
      h(
        'div',
        { class: `page-head sev-${colour ?? 'none'}` },
        h('h1', { translate: 'no' }, alarmTitle(a)),
        dutyBadges(a, { long: true }),
      ),
      h('dl', { class: 'facts' }, facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      canNote ? h('div', { class: 'field' }, h('label', { for: 'action-note' }, t('noteOptional')), noteBox) : null,
      h('div', { class: 'alarm-actions', id: 'detail-actions' }, actions),
      feedback ? feedbackBlock(feedback, people) : null,
      h('h2', {}, t('deliveries')),
      deliveryTable(deliveries, people),
      h('h2', {}, t('auditTrail')),
      auditTable(audit, people, a),
    ];
    box.replaceChildren(...parts.filter((x) => x !== null && x !== undefined));
  }

  const offAlarm = live.on('alarm', (a) => {
    if (a?.id === alarmId) void load().catch(() => undefined);
  });
  await load();
  void navigate;
  return () => offAlarm();
}

function feedbackBlock(f, people) {
  const photos = (f.attachments ?? []).filter((x) => x.url || x.id || x.dataBase64);
  return h(
    'section',
    { class: 'card', id: 'feedback-block', 'aria-labelledby': 'feedback-heading' },
    h('h2', { id: 'feedback-heading' }, t('feedback')),
    h(
      'dl',
      { class: 'facts' },
      [
        [t('cause'), f.cause],
        [t('measures'), f.measures],
        [t('result'), f.result],
        [t('disposition'), f.disposition ? t(`disp_${f.disposition}`) : '—'],
        [t('by'), h('span', { translate: 'no' }, personName(people, f.by ?? f.submittedBy))],
        [t('at'), fmtDateTime(f.at ?? f.submittedAt)],
      ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '—')]),
    ),
    photos.length
      ? h(
          'div',
          { class: 'photos' },
          photos.map((p) => {
            const img = h('img', { alt: `${t('photos')}: ${p.name ?? ''}` });
            if (p.dataBase64) img.src = `data:${p.mime};base64,${p.dataBase64}`;
            else {
              // <img> cannot send the bearer token: fetch with it and show an object URL.
              const url = p.url ?? `/api/alarms/${encodeURIComponent(alarmIdOf(f))}/attachments/${encodeURIComponent(p.id)}`;
              getObjectUrl(url).then((u) => (img.src = u), () => img.replaceWith(h('span', { class: 'muted' }, p.name ?? p.id)));
            }
            return img;
          }),
        )
      : null,
  );
}

function alarmIdOf(f) {
  return f.alarmId ?? '';
}

function auditTable(audit, people, alarm) {
  if (!Array.isArray(audit) || audit.length === 0) return h('p', { class: 'muted' }, t('empty'));
  return h(
    'ol',
    { class: 'audit-list', id: 'audit-table' },
    audit.map((e) => {
      const note = auditNote(e);
      return h(
        'li',
        { class: e.outcome === 'rejected' ? 'audit-rejected' : '', dataset: { action: e.action } },
        h('time', { datetime: new Date(Number(e.at)).toISOString() }, fmtDateTime(e.at)),
        ' ',
        h('span', { class: 'audit-sentence' }, auditSegments(e, people, alarm).map((p) => (p.name !== undefined ? h('span', { translate: 'no', class: 'person' }, p.name) : p.text))),
        note ? h('span', { class: 'audit-note', translate: 'no' }, ` — ${note}`) : null,
      );
    }),
  );
}

/** One row per SMS / call / work-chat post attempt: channel, recipient, attempt, status, provider id or error, time. */
function deliveryTable(rows, people) {
  if (rows === null) return h('p', { class: 'muted' }, t('deliveriesUnavailable'));
  if (rows.length === 0) return h('p', { class: 'muted' }, t('noDeliveries'));
  return h(
    'table',
    { class: 'table', id: 'delivery-table' },
    h('thead', {}, h('tr', {}, [t('at'), t('channel'), t('recipient'), t('attempt'), t('colState'), t('note')].map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      rows.map((d) =>
        h(
          'tr',
          { class: `delivery-${d.status}` },
          h('td', {}, fmtDateTime(d.sentAt ?? d.dueAt ?? d.createdAt)),
          h('td', {}, tEnum('channel', d.channel)),
          h(
            'td',
            {},
            // A person by name; a work-chat group by its configured name (data, not words).
            h('span', { translate: 'no' }, d.recipient.startsWith('群:') ? d.recipient.slice(2) : personName(people, d.recipient)),
            d.address && d.address !== d.recipient && !d.recipient.startsWith('群:') ? ` (${d.address})` : '',
          ),
          h('td', {}, String(d.attempt)),
          h('td', {}, tEnum('delivery', d.status)),
          h('td', {}, d.error ?? d.providerMessageId ?? ''),
        ),
      ),
    ),
  );
}
