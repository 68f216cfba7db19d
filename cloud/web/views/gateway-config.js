// A gateway's remote configuration, for a technician: the desired document (and the version the gateway
// reports running), edited as JSON; 预览 runs the cloud's checks (the gateway's own schema) and shows the
// changes without saving; 应用 saves a new version from the one the editor started with (a newer one
// saved meanwhile is refused, never overwritten); the history lists every version with who, when and
// why, and any of them can be loaded back to roll back to it.
import { ApiError, get, post, request } from '../api.js';
import { h, toast } from '../dom.js';
import { fmtDateTime, t } from '../i18n.js';
import { errorText } from './alarm-actions.js';
import { markName, splitMarked } from '../marked-text.js';

const show = (v) => (v === undefined ? '—' : JSON.stringify(v));

/** A sentence whose named parameters are data (ids, usernames), set apart with translate="no". */
function sentence(key, params, dataKeys) {
  const marked = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, dataKeys.includes(k) ? markName(v) : v]));
  return splitMarked(t(key, marked)).map((p) => (p.name !== undefined ? h('span', { translate: 'no' }, p.name) : p.text));
}

function diffTable(diff) {
  if (!diff.length) return h('p', { class: 'muted' }, t('cfgNoChange'));
  return h(
    'table',
    { class: 'table compact', id: 'config-diff' },
    h('thead', {}, h('tr', {}, [t('cfgPath'), t('cfgBefore'), t('cfgAfter')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, diff.map((d) => h('tr', {}, h('td', { translate: 'no' }, h('code', {}, d.path)), h('td', { translate: 'no', class: 'cfg-before' }, show(d.before)), h('td', { translate: 'no', class: 'cfg-after' }, show(d.after))))),
  );
}

/** The panel for one gateway; `onChanged` redraws the gateway list after a save. */
export async function configPanel(gatewayId, { onChanged }) {
  const enc = encodeURIComponent(gatewayId);
  const box = h('section', { class: 'card', id: 'gw-config', 'aria-labelledby': 'gw-config-title' });
  let desired = await get(`/api/gateways/${enc}/config`).catch((err) => (err instanceof ApiError && err.status === 404 ? null : Promise.reject(err)));
  let note = '';
  const editor = h('textarea', { id: 'config-editor', class: 'config-editor', rows: 18, spellcheck: 'false', translate: 'no', 'aria-label': t('cfgEditor') });
  const result = h('div', { id: 'config-result', 'aria-live': 'polite' });
  const history = h('div', { id: 'config-history' });

  const parseEditor = () => {
    try {
      return JSON.parse(editor.value);
    } catch (err) {
      result.replaceChildren(h('p', { class: 'error' }, t('cfgNotJson', { msg: err instanceof Error ? err.message : String(err) })));
      return undefined;
    }
  };

  async function preview() {
    const config = parseEditor();
    if (config === undefined) return;
    try {
      const p = await post(`/api/gateways/${enc}/config/preview`, { config });
      result.replaceChildren(h('p', {}, t('cfgPreviewOk', { v: p.currentVersion, n: p.diff.length })), diffTable(p.diff));
    } catch (err) {
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, errorText(err)));
    }
  }

  async function apply() {
    const config = parseEditor();
    if (config === undefined) return;
    try {
      const saved = await request('PUT', `/api/gateways/${enc}/config`, { config, expectedVersion: desired?.version ?? 0, ...(note ? { note } : {}) });
      desired = saved;
      note = '';
      toast(t('cfgSaved', { v: saved.version }), 'ok');
      await draw();
      onChanged();
    } catch (err) {
      const msg = err instanceof ApiError && err.status === 409 ? t('cfgConflict') : errorText(err);
      result.replaceChildren(h('p', { class: 'error', role: 'alert' }, msg));
    }
  }

  async function loadVersion(v) {
    try {
      const doc = await get(`/api/gateways/${enc}/config/versions/${v}`);
      editor.value = JSON.stringify(doc.config, null, 2);
      note = t('cfgRollbackNote', { v });
      await preview();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async function drawHistory() {
    const audit = await get(`/api/gateways/${enc}/config/audit`).catch(() => []);
    history.replaceChildren(
      h('h3', {}, t('cfgHistory')),
      audit.length === 0
        ? h('p', { class: 'muted' }, t('empty'))
        : h(
            'table',
            { class: 'table compact' },
            h('thead', {}, h('tr', {}, [t('configVersion'), t('colTime'), t('by'), t('cfgChanges'), ''].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              [...audit].reverse().map((a) =>
                h(
                  'tr',
                  { dataset: { version: String(a.version) } },
                  h('td', { class: 'num' }, `v${a.version}`),
                  h('td', {}, fmtDateTime(a.at)),
                  h('td', { translate: 'no' }, a.by),
                  h('td', {}, t('cfgChangeCount', { n: a.diff.length }), a.note ? h('small', { class: 'muted' }, ` · ${a.note}`) : null),
                  h('td', {}, a.restorable && a.version !== desired?.version ? h('button', { type: 'button', class: 'btn', dataset: { action: 'rollback' }, onclick: () => loadVersion(a.version) }, t('cfgRollback', { v: a.version })) : null),
                ),
              ),
            ),
          ),
    );
  }

  async function draw() {
    editor.value = desired ? JSON.stringify(desired.config, null, 2) : '';
    result.replaceChildren();
    const reported = desired?.reportedVersion;
    box.replaceChildren(
      h('h2', { id: 'gw-config-title' }, sentence('cfgTitle', { id: gatewayId }, ['id'])),
      h('p', {}, desired ? sentence('cfgVersions', { v: desired.version, r: reported ?? '—', by: desired.updatedBy, at: fmtDateTime(desired.updatedAt) }, ['by']) : t('cfgNone')),
      editor,
      h(
        'div',
        { class: 'field-inline' },
        h('button', { type: 'button', class: 'btn', id: 'config-preview', onclick: preview }, t('cfgPreview')),
        h('button', { type: 'button', class: 'btn btn-primary', id: 'config-apply', onclick: apply }, t('cfgApply')),
      ),
      result,
      history,
    );
    await drawHistory();
  }

  await draw();
  return box;
}
