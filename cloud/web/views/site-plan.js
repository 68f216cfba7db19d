// The plan view: the site's plan image with a marker per placed point, coloured by its live state
// (正常 / 一级报警 / 二级报警 / 故障 / 离线 / 无数据, always written out, never colour alone). A technician or
// administrator drags markers, adds or removes them and uploads the image; saving sends the whole
// layout with the version it started from, so two editors never overwrite each other silently.
import { ApiError, get, getObjectUrl, request } from '../api.js';
import { h, toast } from '../dom.js';
import { t } from '../i18n.js';
import { markerState } from '../site-logic.js';
import { deviceOf, pointHref } from './site-data.js';

const STATES = ['normal', 'alarm1', 'alarm2', 'fault', 'offline', 'nodata'];
const EDIT_ROLES = new Set(['admin', 'field_technician']);

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const fr = new FileReader();
    fr.onload = () => resolve(String(fr.result).replace(/^data:[^,]*,/, ''));
    fr.onerror = () => reject(fr.error ?? new Error('file could not be read'));
    fr.readAsDataURL(file);
  });
}

/**
 * @param {string} siteId
 * @param {any} view GET /api/sites/:id/view
 * @param {{ user: any, pointNames: Map<string, string>, onSaved: () => void }} opts
 */
export function planSection(siteId, view, { user, pointNames, onSaved }) {
  let markers = view.planMarkers.map((m) => ({ ...m }));
  let editing = false;
  let last = { latestByPath: new Map(), states: new Map(), online: new Map() };
  const canEdit = EDIT_ROLES.has(user?.role);
  const sheet = h('div', { class: 'plan-sheet', id: 'plan-sheet' });
  const img = h('img', { class: 'plan-image', alt: t('planView') });
  const box = h('section', { id: 'plan-view', class: 'card', 'aria-labelledby': 'plan-title' });
  const note = h('p', { class: 'muted small', 'aria-live': 'polite' });

  async function loadImage() {
    if (!view.hasPlanImage) {
      sheet.classList.add('plan-blank');
      note.textContent = t('planNoImage');
      return;
    }
    img.src = await getObjectUrl(`/api/sites/${encodeURIComponent(siteId)}/plan-image`);
    sheet.classList.remove('plan-blank');
    note.textContent = '';
  }

  function stateOf(m) {
    const path = `${siteId}/${m.point}`;
    return markerState(last.states.get(path), last.latestByPath.get(path), last.online.get(deviceOf(path)));
  }

  function drawMarkers() {
    for (const el of sheet.querySelectorAll('.plan-marker')) el.remove();
    for (const m of markers) {
      const path = `${siteId}/${m.point}`;
      const st = stateOf(m);
      const name = m.label ?? pointNames.get(path) ?? m.point;
      const el = h(
        editing ? 'button' : 'a',
        {
          class: `plan-marker marker-${st}${editing ? ' is-editing' : ''}`,
          style: `left:${(m.x * 100).toFixed(2)}%;top:${(m.y * 100).toFixed(2)}%`,
          dataset: { point: m.point, state: st },
          'aria-label': `${name}: ${t(`marker_${st}`)}`,
          ...(editing ? { type: 'button' } : { href: pointHref(path) }),
        },
        h('span', { class: 'marker-dot', 'aria-hidden': 'true' }),
        h('span', { class: 'marker-label' }, h('span', { translate: 'no' }, name), ` ${t(`marker_${st}`)}`),
      );
      if (editing) el.addEventListener('pointerdown', (ev) => startDrag(ev, m, el));
      sheet.append(el);
    }
  }

  function startDrag(ev, m, el) {
    ev.preventDefault();
    el.setPointerCapture(ev.pointerId);
    const move = (e) => {
      const r = sheet.getBoundingClientRect();
      m.x = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
      m.y = Math.min(1, Math.max(0, (e.clientY - r.top) / r.height));
      el.style.left = `${(m.x * 100).toFixed(2)}%`;
      el.style.top = `${(m.y * 100).toFixed(2)}%`;
    };
    const up = () => {
      el.removeEventListener('pointermove', move);
      el.removeEventListener('pointerup', up);
    };
    el.addEventListener('pointermove', move);
    el.addEventListener('pointerup', up);
  }

  async function save() {
    try {
      const cur = await get(`/api/sites/${encodeURIComponent(siteId)}/layout`);
      const res = await request('PUT', `/api/sites/${encodeURIComponent(siteId)}/layout`, {
        layout: { ...cur.layout, planMarkers: markers.map((m) => ({ point: m.point, x: Number(m.x.toFixed(4)), y: Number(m.y.toFixed(4)), ...(m.label ? { label: m.label } : {}) })) },
        expectedVersion: view.layoutVersion,
      });
      view.layoutVersion = res.version;
      view.planMarkers = res.layout.planMarkers;
      toast(t('planSaved', { v: res.version }));
      editing = false;
      render();
      onSaved();
    } catch (err) {
      toast(err instanceof ApiError && err.status === 409 ? t('planConflict') : t('error', { msg: err instanceof Error ? err.message : String(err) }), 'error');
    }
  }

  function editTools() {
    if (!canEdit) return null;
    if (!editing) return h('div', { class: 'plan-tools' }, h('button', { type: 'button', class: 'btn', id: 'plan-edit', onclick: () => { editing = true; render(); } }, t('planEdit')));
    const placed = new Set(markers.map((m) => m.point));
    const rel = (p) => p.slice(siteId.length + 1);
    const free = [...pointNames.keys()].filter((p) => p.startsWith(`${siteId}/`) && !placed.has(rel(p)));
    const pick = h('select', { id: 'plan-add-point', 'aria-label': t('planAddMarker') }, h('option', { value: '' }, t('planPick')), free.map((p) => h('option', { value: rel(p) }, `${pointNames.get(p) ?? ''} ${rel(p)}`)));
    const upload = h('input', { type: 'file', id: 'plan-upload', accept: 'image/png,image/jpeg' });
    upload.addEventListener('change', async () => {
      const file = upload.files?.[0];
      if (!file) return;
      try {
        await request('PUT', `/api/sites/${encodeURIComponent(siteId)}/plan-image`, { dataBase64: await readBase64(file) });
        view.hasPlanImage = true;
        await loadImage();
        toast(t('planUploaded'));
      } catch (err) {
        toast(t('error', { msg: err instanceof Error ? err.message : String(err) }), 'error');
      }
    });
    return h(
      'div',
      { class: 'plan-tools' },
      h('p', { class: 'muted small' }, t('planHint')),
      pick,
      h('label', { for: 'plan-upload', class: 'btn' }, t('planUpload')),
      upload,
      h('ul', { class: 'plan-marker-list' }, markers.map((m) => h('li', {}, h('span', { translate: 'no' }, m.label ?? m.point), ' ', h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => { markers = markers.filter((x) => x !== m); render(); } }, t('planRemove'))))),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'plan-save', onclick: save }, t('planSave')),
      h('button', { type: 'button', class: 'btn', onclick: () => { markers = view.planMarkers.map((x) => ({ ...x })); editing = false; render(); } }, t('planCancel')),
    );
  }

  sheet.addEventListener('click', (ev) => {
    const pick = box.querySelector('#plan-add-point');
    if (!editing || !pick?.value || ev.target !== img && ev.target !== sheet) return;
    const r = sheet.getBoundingClientRect();
    markers.push({ point: pick.value, x: (ev.clientX - r.left) / r.width, y: (ev.clientY - r.top) / r.height });
    render();
  });

  function render() {
    sheet.replaceChildren(img);
    drawMarkers();
    box.replaceChildren(
      h('h2', { id: 'plan-title' }, t('planView')),
      sheet,
      note,
      h('ul', { class: 'plan-legend', 'aria-label': t('planLegend') }, STATES.map((s) => h('li', {}, h('span', { class: `marker-dot marker-${s}`, 'aria-hidden': 'true' }), ` ${t(`marker_${s}`)}`))),
      ...[editTools()].filter(Boolean),
    );
  }

  render();
  void loadImage().catch((err) => (note.textContent = t('error', { msg: err instanceof Error ? err.message : String(err) })));
  return {
    box,
    /** Recolour the markers from fresh values, alarm states and gateway links (device id → online). */
    redraw(latestByPath, states, online) {
      last = { latestByPath, states, online };
      if (!editing) drawMarkers();
    },
  };
}
