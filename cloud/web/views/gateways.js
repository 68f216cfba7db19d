// The field technician's pages (also enterprise managers and administrators): the gateways in their
// place with status, last contact, certificate expiry and configuration version, revoke; a site's claim
// codes (create, see status, expire); and its commissioning reports, opened for sign-off.
import { download, get, itemsOf, post, qs } from '../api.js';
import { h, toast } from '../dom.js';
import { fmtDateTime, t, tEnum } from '../i18n.js';
import { askOne, errorText } from './alarm-actions.js';
import { configPanel } from './gateway-config.js';

export const PROVISIONING_ROLES = ['admin', 'enterprise_manager', 'field_technician'];
const TTLS = [60, 24 * 60, 7 * 24 * 60];

export async function renderGateways(root, _params, { user }) {
  if (!PROVISIONING_ROLES.includes(user?.role)) {
    root.append(h('p', {}, t('noProvisioning')));
    return undefined;
  }
  const sites = itemsOf(await get('/api/sites').catch(() => []));
  const gwBox = h('section', { class: 'card', 'aria-labelledby': 'gw-heading' });
  const siteSelect = h('select', { id: 'prov-site', name: 'site' }, sites.map((s) => h('option', { value: s.id }, s.name)));
  const codeBox = h('section', { class: 'card', id: 'claim-codes', 'aria-labelledby': 'codes-heading' });
  const reportBox = h('section', { class: 'card', id: 'reports', 'aria-labelledby': 'reports-heading' });
  const configBox = h('div', { id: 'gw-config-box' });
  root.append(
    h('div', { class: 'page-head' }, h('h1', {}, t('navGateways'))),
    gwBox,
    configBox,
    h('div', { class: 'field-inline' }, h('label', { for: 'prov-site' }, t('colSite')), siteSelect),
    codeBox,
    reportBox,
  );
  siteSelect.addEventListener('change', () => void drawSite());

  async function drawGateways() {
    const gateways = await get('/api/gateways');
    const siteName = (id) => sites.find((s) => s.id === id)?.name ?? id;
    gwBox.replaceChildren(
      h('h2', { id: 'gw-heading' }, t('gatewaysInPlace')),
      gateways.length === 0
        ? h('p', { class: 'muted' }, t('empty'))
        : h(
            'table',
            { class: 'table', id: 'gateway-table' },
            h('thead', {}, h('tr', {}, [t('gateway'), t('colSite'), t('gwHealth'), t('lastSeen'), t('certExpires'), t('configVersion'), ''].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              gateways.map((g) =>
                h(
                  'tr',
                  { dataset: { gatewayId: g.id } },
                  h('th', { scope: 'row', translate: 'no' }, g.name ? `${g.name} (${g.id})` : g.id),
                  h('td', { translate: 'no' }, (g.siteIds ?? []).map(siteName).join('、') || '—'),
                  h('td', { dataset: { cell: 'status' } }, statusChip(g)),
                  h('td', {}, fmtDateTime(g.lastSeenAt ?? g.statusAt)),
                  h('td', {}, g.certExpiresAt ? fmtDateTime(g.certExpiresAt) : t('noCertificate')),
                  h('td', { class: 'num' }, configText(g)),
                  h(
                    'td',
                    {},
                    h('button', { type: 'button', class: 'btn', dataset: { action: 'config' }, onclick: () => openConfig(g.id) }, t('cfgOpen')),
                    ' ',
                    g.certFingerprint ? h('button', { type: 'button', class: 'btn', dataset: { action: 'revoke' }, onclick: () => revoke(g) }, t('revoke')) : null,
                  ),
                ),
              ),
            ),
          ),
    );
  }

  /** Desired version, and what the gateway last reported running when it differs. */
  function configText(g) {
    if (typeof g.configVersion !== 'number') return '—';
    if (g.reportedConfigVersion === g.configVersion) return `v${g.configVersion}`;
    return t('configPending', { v: g.configVersion, r: g.reportedConfigVersion ?? '—' });
  }

  function statusChip(g) {
    if (g.online) return h('span', { class: 'chip chip-online' }, t('online'));
    if (g.stoppedOnPurpose) return h('span', { class: 'chip chip-stopped' }, t('stoppedPlanned'));
    return h('span', { class: 'chip chip-offline' }, t('offline'));
  }

  async function openConfig(gatewayId) {
    try {
      configBox.replaceChildren(await configPanel(gatewayId, { onChanged: () => void drawGateways() }));
      configBox.scrollIntoView({ block: 'start' });
    } catch (err) {
      toast(errorText(err), 'error');
    }
  }

  async function revoke(g) {
    const reason = await askOne(t('revoke'), t('revokeReason', { id: g.id }), t('revokeDefault'));
    if (!reason) return;
    try {
      const r = await post(`/api/gateways/${encodeURIComponent(g.id)}/revoke`, { reason });
      toast(t('revoked', { n: r.revoked.length, id: g.id }), 'ok');
    } catch (err) {
      toast(t('actionFailed', { action: t('revoke'), msg: errorText(err) }), 'error');
    }
    await drawGateways();
  }

  async function drawSite() {
    await Promise.all([drawCodes(), drawReports()]);
  }

  async function drawCodes(created) {
    const siteId = siteSelect.value;
    const codes = siteId ? await get(`/api/sites/${encodeURIComponent(siteId)}/claim-codes`).catch(() => []) : [];
    const ttl = h('select', { id: 'claim-ttl', name: 'ttl' }, TTLS.map((m) => h('option', { value: String(m) }, t('ttlOption', { h: m / 60 }))));
    ttl.value = String(24 * 60);
    const createBtn = h('button', {
      type: 'button',
      class: 'btn btn-primary',
      id: 'claim-create',
      onclick: async () => {
        try {
          const c = await post(`/api/sites/${encodeURIComponent(siteId)}/claim-codes`, { ttlMinutes: Number(ttl.value) });
          await drawCodes(c);
        } catch (err) {
          toast(t('actionFailed', { action: t('createClaimCode'), msg: errorText(err) }), 'error');
        }
      },
    }, t('createClaimCode'));
    // (replaceChildren would print an absent part as the word "null")
    codeBox.replaceChildren(
      ...[
      h('h2', { id: 'codes-heading' }, t('claimCodes')),
      h('div', { class: 'field-inline' }, h('label', { for: 'claim-ttl' }, t('validFor')), ttl, createBtn),
      created
        ? h(
            'div',
            { class: 'claim-new', id: 'claim-new', role: 'status' },
            h('p', {}, t('claimShownOnce')),
            h('p', {}, h('code', { class: 'claim-code', translate: 'no' }, created.code), ` · ${t('expiresAt', { at: fmtDateTime(created.expiresAt) })}`),
            h('p', { class: 'muted' }, t('claimCommand')),
            h('pre', { translate: 'no' }, `safeloop provision claim --cloud ${location.origin} --code ${created.code} --ca-fingerprint ${created.caFingerprint}`),
          )
        : null,
      codes.length === 0
        ? h('p', { class: 'muted' }, t('noClaimCodes'))
        : h(
            'table',
            { class: 'table', id: 'claim-table' },
            h('thead', {}, h('tr', {}, [t('createdAt'), t('by'), t('expires'), t('colState'), t('gateway'), ''].map((c) => h('th', { scope: 'col' }, c)))),
            h(
              'tbody',
              {},
              codes.map((c) =>
                h(
                  'tr',
                  { dataset: { codeId: c.id, status: c.status } },
                  h('td', {}, fmtDateTime(c.createdAt)),
                  h('td', { translate: 'no' }, c.createdBy),
                  h('td', {}, fmtDateTime(c.expiresAt)),
                  h('td', {}, tEnum('claim', c.status)),
                  h('td', { translate: 'no' }, c.usedByGateway ?? '—'),
                  h(
                    'td',
                    {},
                    c.status === 'open'
                      ? h('button', {
                          type: 'button',
                          class: 'btn',
                          dataset: { action: 'expire' },
                          onclick: async () => {
                            await post(`/api/sites/${encodeURIComponent(siteId)}/claim-codes/${c.id}/expire`, {}).catch((err) => toast(errorText(err), 'error'));
                            await drawCodes();
                          },
                        }, t('expireNow'))
                      : null,
                  ),
                ),
              ),
            ),
          ),
      ].filter(Boolean),
    );
  }

  async function drawReports() {
    const siteId = siteSelect.value;
    const reports = siteId ? await get(`/api/sites/${encodeURIComponent(siteId)}/commissioning-reports${qs({ limit: 50 })}`).catch(() => []) : [];
    const viewer = h('div', { id: 'report-viewer' });
    reportBox.replaceChildren(
      h('h2', { id: 'reports-heading' }, t('commissioningReports')),
      reports.length === 0
        ? h('p', { class: 'muted' }, t('noReports'))
        : h(
            'ul',
            { class: 'report-list', id: 'report-list' },
            reports.map((r) =>
              h(
                'li',
                { dataset: { reportId: r.id } },
                h('span', { class: `chip ${r.passed ? 'chip-online' : 'chip-offline'}` }, r.passed ? t('reportPassed') : t('reportFailed')),
                ` ${fmtDateTime(r.performedAt)} · `,
                h('span', { translate: 'no' }, `${r.technician}${r.gatewayId ? ` · ${r.gatewayId}` : ''}`),
                ' ',
                h('button', { type: 'button', class: 'btn', dataset: { action: 'open-report' }, onclick: () => openReport(siteId, r.id, viewer) }, t('openReport')),
              ),
            ),
          ),
      viewer,
    );
  }

  async function openReport(siteId, reportId, viewer) {
    const r = await get(`/api/sites/${encodeURIComponent(siteId)}/commissioning-reports/${encodeURIComponent(reportId)}`);
    // Written on a laptop in the field: shown in a sandbox with no script and no access to this page.
    const frame = h('iframe', { class: 'report-frame', id: 'report-frame', sandbox: '', title: t('commissioningReports') });
    frame.srcdoc = r.html || `<pre>${String(r.markdown ?? '').replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c])}</pre>`;
    const file = `commissioning-${siteId}-${reportId}.html`;
    const save = () => download(`/api/sites/${encodeURIComponent(siteId)}/commissioning-reports/${encodeURIComponent(reportId)}/html`, file).catch((err) => toast(errorText(err), 'error'));
    viewer.replaceChildren(h('button', { type: 'button', class: 'btn', id: 'report-download', onclick: save }, t('downloadReport')), frame);
  }

  await drawGateways();
  await drawSite();
  return undefined;
}
