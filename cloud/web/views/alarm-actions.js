// The handling actions: one click (acknowledge, start handling) or a short dialog (hand over,
// feedback with photos, review, close, shelve). Native <dialog> gives focus trapping and Esc.
import { get, post } from '../api.js';
import { h, toast } from '../dom.js';
import { t, tEnum } from '../i18n.js';

const LABEL = {
  acknowledge: 'actAcknowledge',
  handover: 'actHandover',
  'start-handling': 'actStartHandling',
  feedback: 'actFeedback',
  review: 'actReview',
  close: 'actClose',
  shelve: 'actShelve',
  urge: 'urge',
  comment: 'comment',
};

/** A refusal in the page's language: the server's code translated, its English message only as a fallback. */
export function errorText(err) {
  const code = err?.code;
  const known = code ? tEnum('err', code) : '';
  if (known && known !== code) return known;
  return err instanceof Error ? err.message : String(err);
}

const URGE_DEADLINES = [15, 30, 60, 120, 240];

export function actionLabel(action) {
  return t(LABEL[action] ?? action);
}

const MAX_PHOTO_BYTES = 2 * 1024 * 1024;
const MAX_PHOTOS = 5;

/** Run an action on an alarm, asking for details first where it needs them. Resolves the updated alarm or null. */
export async function runAction(alarm, action, opts = {}) {
  let body = {};
  switch (action) {
    case 'acknowledge':
    case 'start-handling':
      // One click; a note typed beside the buttons (alarm page) goes with it.
      if (opts.note) body = { note: opts.note };
      break;
    case 'handover': {
      // Pick from the people who may take it (name, role, on duty), never type an id.
      const people = await get(`/api/alarms/${encodeURIComponent(alarm.id)}/assignees`).catch(() => []);
      body = await ask(t('handoverTitle'), [
        field('toUserId', t('handoverTo'), 'select', {
          required: true,
          options: people.map((u) => ({ value: u.id, label: `${u.name} · ${t(`role_${u.role}`)}${u.duty ? ` · ${t(`duty_${u.duty}`)}` : ''}` })),
        }),
        field('note', t('note'), 'textarea'),
      ]);
      if (body && !body.note) delete body.note;
      break;
    }
    case 'urge':
      body = await ask(t('urge'), [
        field('note', t('urgeNote'), 'textarea', { required: true }),
        field('deadlineMin', t('urgeDeadline'), 'select', { required: true, options: URGE_DEADLINES.map((n) => ({ value: String(n), label: t('deadlineMinutes', { n }) })) }),
      ]);
      if (body) body = { note: body.note, deadlineMin: Number(body.deadlineMin) };
      break;
    case 'comment':
      body = await ask(t('comment'), [field('note', t('note'), 'textarea', { required: true })]);
      break;
    case 'feedback':
      body = await askFeedback();
      break;
    case 'review':
      body = await askReview();
      break;
    case 'close':
      body = await ask(t('closeTitle'), [field('note', t('note'), 'textarea')]);
      break;
    case 'shelve':
      body = await ask(t('shelveTitle'), [
        field('reason', t('shelveReason'), 'textarea', { required: true }),
        field('minutes', t('shelveMinutes'), 'input', { type: 'number', min: '1', max: '1440', value: '60', required: true }),
      ]);
      if (body) body = { reason: body.reason, minutes: Number(body.minutes) };
      break;
    default:
      return null;
  }
  if (body === null) return null;
  try {
    const res = await post(`/api/alarms/${encodeURIComponent(alarm.id)}/${action}`, body);
    toast(action === 'urge' ? t('urgeSent') : action === 'comment' ? t('commentSent') : t('actionDone', { action: actionLabel(action) }), 'ok');
    return res?.alarm ?? res ?? null;
  } catch (err) {
    const msg = errorText(err);
    // "Someone else updated it" only when that is what happened.
    toast(`${t('actionFailed', { action: actionLabel(action), msg })}${err?.code === 'CLOUD_ERR_ALARM_CONFLICT' ? ` ${t('conflict')}` : ''}`, 'error');
    throw err;
  }
}

/** One required text in a modal form (e.g. why a gateway is revoked); resolves the text or null. */
export async function askOne(title, label, value = '') {
  const v = await ask(title, [field('text', label, 'input', { required: true, value })]);
  return v ? v.text : null;
}

function field(name, label, tag, attrs = {}) {
  return { name, label, tag, attrs };
}

/** Open a modal form; resolves its values by name, or null when cancelled. */
function ask(title, fields, extra) {
  return new Promise((resolve) => {
    const idBase = `f-${Math.random().toString(36).slice(2, 8)}`;
    const controls = fields.map((f) => {
      const id = `${idBase}-${f.name}`;
      if (f.tag === 'select') {
        return {
          f,
          el: h('select', { id, name: f.name, required: f.attrs.required }, f.attrs.options.map((o) => h('option', { value: o.value }, o.label))),
        };
      }
      const { options: _o, ...attrs } = f.attrs;
      return { f, el: h(f.tag, { id, name: f.name, rows: f.tag === 'textarea' ? 3 : undefined, ...attrs }) };
    });
    const cancel = h('button', { type: 'button', class: 'btn', value: 'cancel' }, t('cancel'));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('submit'));
    const form = h(
      'form',
      { method: 'dialog', class: 'dialog-form' },
      h('h2', { id: `${idBase}-title` }, title),
      controls.map(({ f, el }) => h('div', { class: 'field' }, h('label', { for: el.id }, f.label, f.attrs.required ? h('span', { class: 'req' }, ` (${t('required')})`) : null), el)),
      extra?.nodes ?? null,
      h('div', { class: 'dialog-buttons' }, cancel, submit),
    );
    const dlg = h('dialog', { 'aria-labelledby': `${idBase}-title`, class: 'dialog' }, form);
    document.body.append(dlg);
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(value);
    };
    cancel.addEventListener('click', () => finish(null));
    dlg.addEventListener('cancel', () => finish(null));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const values = {};
      for (const { f, el } of controls) values[f.name] = el.value.trim();
      Promise.resolve(extra?.collect ? extra.collect(values) : values).then(finish, (err) => {
        toast(err instanceof Error ? err.message : String(err), 'error');
      });
    });
    dlg.showModal();
    controls[0]?.el.focus();
  });
}

function askFeedback() {
  const photoInput = h('input', { type: 'file', id: 'feedback-photos', name: 'photos', accept: 'image/jpeg,image/png,image/webp', multiple: true, capture: 'environment', 'aria-describedby': 'feedback-photos-hint' });
  const photos = h(
    'div',
    { class: 'field' },
    h('label', { for: 'feedback-photos' }, t('photos')),
    photoInput,
    h('small', { id: 'feedback-photos-hint', class: 'muted' }, t('photosHint')),
  );
  return ask(
    t('feedbackTitle'),
    [
      field('cause', t('cause'), 'textarea', { required: true }),
      field('measures', t('measures'), 'textarea', { required: true }),
      field('result', t('result'), 'textarea', { required: true }),
      field('disposition', t('disposition'), 'select', {
        required: true,
        options: ['handled', 'false_alarm', 'maintenance', 'calibration'].map((v) => ({ value: v, label: t(`disp_${v}`) })),
      }),
    ],
    {
      nodes: photos,
      collect: async (values) => ({ ...values, attachments: await readPhotos(photoInput.files) }),
    },
  );
}

function askReview() {
  return ask(t('reviewTitle'), [
    field('decision', t('reviewTitle'), 'select', {
      required: true,
      options: [
        { value: 'approve', label: t('approve') },
        { value: 'reject', label: t('reject') },
      ],
    }),
    field('comment', t('reviewComment'), 'textarea', { required: true }),
  ]).then((v) => (v ? { approved: v.decision === 'approve', comment: v.comment } : null));
}

async function readPhotos(fileList) {
  const out = [];
  const files = Array.from(fileList ?? []);
  if (files.length > MAX_PHOTOS) throw new Error(`${t('photos')}: ≤ ${MAX_PHOTOS}`);
  for (const file of files) {
    if (file.size > MAX_PHOTO_BYTES) throw new Error(`${file.name}: > 2 MB`);
    const dataUrl = await new Promise((resolve, reject) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result));
      r.onerror = () => reject(r.error ?? new Error('read failed'));
      r.readAsDataURL(file);
    });
    out.push({ name: file.name, mime: file.type || 'application/octet-stream', dataBase64: dataUrl.slice(dataUrl.indexOf(',') + 1) });
  }
  return out;
}
