/**
 * What a commissioning visit leaves behind: the gateway's `devices:` configuration (validated by the
 * gateway's own schema) and the signed-off report as Markdown, HTML (self-contained, every value
 * escaped) and a JSON summary the cloud indexes. Pure functions.
 */
import { stringify } from 'yaml';
import { SafeLoopError } from '@safeloop/contract';
import { DeviceInstanceSchema, type DeviceInstance } from '../field/config.ts';
import type { CommissionedDevice, CommissionedPoint, CommissionResult, CommissionSummary } from './commission.ts';

export interface CommissioningReport {
  technician: string;
  performedAt: number;
  gatewayId?: string;
  summary: CommissionSummary & { flagged: { device: string; point: string; kind: string; severity: string; message: string }[] };
  markdown: string;
  html: string;
}

/** The `devices:` YAML section for the gateway config; throws if an instance fails the gateway schema. */
export function deviceConfigYaml(result: CommissionResult): string {
  const devices: DeviceInstance[] = result.devices.map((d, i) => {
    const parsed = DeviceInstanceSchema.safeParse(d.instance);
    if (!parsed.success) {
      throw new SafeLoopError('GW_ERR_COMMISSION_CONFIG', `device ${i} (${d.id}): ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    return parsed.data;
  });
  const flagged = result.devices.filter((d) => d.error !== undefined || d.points.some((p) => p.flags.some((f) => f.severity === 'error')));
  const header = [
    `# Gateway devices, written by safeloop provision commission on ${new Date(result.performedAt).toISOString()} (${result.technician}).`,
    ...(flagged.length > 0 ? [`# NOT SIGNED OFF — errors on: ${flagged.map((d) => d.id).join(', ')} (see the commissioning report).`] : []),
  ];
  return `${header.join('\n')}\n${stringify({ devices })}`;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '—';
  return String(v);
}

function rangeText(p: CommissionedPoint): string {
  return p.range ? `${p.range.min}..${p.range.max}` : '';
}

function inRangeText(p: CommissionedPoint): string {
  return p.inRange === null ? '' : p.inRange ? 'yes' : 'NO';
}

function flagText(p: CommissionedPoint): string {
  return p.flags.map((f) => `${f.severity === 'error' ? '✖' : '⚠'} ${f.kind}: ${f.message}`).join('; ');
}

function mdEscape(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function verdict(s: CommissionSummary): string {
  if (s.passed) return 'PASSED — every point read good, inside its range, nothing flagged';
  return `NOT PASSED — ${s.errors} error(s), ${s.warnings} warning(s) on ${s.flaggedPoints} point(s)`;
}

export function renderMarkdown(r: CommissionResult): string {
  const lines: string[] = [
    `# Commissioning report${r.site ? ` — site ${r.site}` : ''}`,
    '',
    `- Technician: ${mdEscape(r.technician)}`,
    `- Time: ${new Date(r.performedAt).toISOString()}`,
    ...(r.gatewayId ? [`- Gateway: ${r.gatewayId}`] : []),
    `- Reads per point: ${r.reads}`,
    `- Result: **${verdict(r.summary)}**`,
    '',
  ];
  for (const d of r.devices) {
    lines.push(`## ${d.id}${d.name ? ` — ${mdEscape(d.name)}` : ''}`, '', `Profile \`${d.profile}\`, ${mdEscape(d.transport)}`, '');
    if (d.error !== undefined) {
      lines.push(`**Could not be read:** ${mdEscape(d.error)}`, '');
      continue;
    }
    lines.push('| point | value | unit | quality | range | in range | reads | flags |', '|---|---|---|---|---|---|---|---|');
    for (const p of d.points) {
      lines.push(
        `| ${p.pointId} | ${mdEscape(cell(p.value))} | ${p.unit ?? ''} | ${p.quality}${p.reason ? ` (${p.reason})` : ''} | ${rangeText(p)} | ${inRangeText(p)} | ${mdEscape(p.values.map(cell).join(', '))} | ${mdEscape(flagText(p))} |`,
      );
    }
    lines.push('');
  }
  lines.push(`Signed: ${mdEscape(r.technician)}, ${new Date(r.performedAt).toISOString()}`, '');
  return lines.join('\n');
}

export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function deviceHtml(d: CommissionedDevice): string {
  const e = htmlEscape;
  const head = `<h2>${e(d.id)}${d.name ? ` — ${e(d.name)}` : ''}</h2><p>Profile <code>${e(d.profile)}</code>, ${e(d.transport)}</p>`;
  if (d.error !== undefined) return `${head}<p class="error">Could not be read: ${e(d.error)}</p>`;
  const rows = d.points
    .map((p) => {
      const cls = p.flags.some((f) => f.severity === 'error') ? ' class="error"' : p.flags.length > 0 ? ' class="warning"' : '';
      const flags = p.flags.map((f) => `<li>${f.severity === 'error' ? '✖' : '⚠'} <b>${e(f.kind)}</b>: ${e(f.message)}</li>`).join('');
      return `<tr${cls}><td>${e(p.pointId)}</td><td>${e(cell(p.value))}</td><td>${e(p.unit ?? '')}</td><td>${e(p.quality + (p.reason ? ` (${p.reason})` : ''))}</td><td>${e(rangeText(p))}</td><td>${e(inRangeText(p))}</td><td>${e(p.values.map(cell).join(', '))}</td><td>${flags ? `<ul>${flags}</ul>` : ''}</td></tr>`;
    })
    .join('\n');
  return `${head}<table><thead><tr><th>point</th><th>value</th><th>unit</th><th>quality</th><th>range</th><th>in range</th><th>reads</th><th>flags</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export function renderHtml(r: CommissionResult): string {
  const e = htmlEscape;
  const time = new Date(r.performedAt).toISOString();
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Commissioning report${r.site ? ` — ${e(r.site)}` : ''}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;vertical-align:top}tr.error{background:#fdd}tr.warning{background:#ffc}ul{margin:0;padding-left:1.2em}.error{color:#900}</style>
</head><body>
<h1>Commissioning report${r.site ? ` — site ${e(r.site)}` : ''}</h1>
<p>Technician: ${e(r.technician)}<br>Time: ${e(time)}${r.gatewayId ? `<br>Gateway: ${e(r.gatewayId)}` : ''}<br>Reads per point: ${r.reads}<br>Result: <b>${e(verdict(r.summary))}</b></p>
${r.devices.map(deviceHtml).join('\n')}
<p>Signed: ${e(r.technician)}, ${e(time)}</p>
</body></html>
`;
}

/** Summary JSON budget, under the cloud's 64 KiB limit. */
export const SUMMARY_BUDGET_CHARS = 60_000;

export function buildReport(r: CommissionResult): CommissioningReport {
  const flagged = r.devices.flatMap((d) => [
    ...(d.error !== undefined ? [{ device: d.id, point: '*', kind: 'no_reading', severity: 'error', message: d.error.slice(0, 160) }] : []),
    ...d.points.flatMap((p) => p.flags.map((f) => ({ device: d.id, point: p.pointId, kind: f.kind, severity: f.severity, message: f.message.slice(0, 160) }))),
  ]);
  // The cloud takes at most 64 KiB of summary JSON: keep the first flags that fit (the report has all).
  const kept = flagged.slice(0, 400);
  while (kept.length > 0 && JSON.stringify({ ...r.summary, flagged: kept }).length > SUMMARY_BUDGET_CHARS) kept.pop();
  return {
    technician: r.technician,
    performedAt: r.performedAt,
    ...(r.gatewayId ? { gatewayId: r.gatewayId } : {}),
    summary: { ...r.summary, flagged: kept },
    markdown: renderMarkdown(r),
    html: renderHtml(r),
  };
}

/** Upload a report to the cloud for a site; returns the stored report's id. */
export async function uploadReport(o: { cloudUrl: string; token: string; siteId: string; report: CommissioningReport; fetchImpl?: typeof fetch; timeoutMs?: number }): Promise<{ id: string }> {
  const url = `${o.cloudUrl.replace(/\/+$/, '')}/api/sites/${encodeURIComponent(o.siteId)}/commissioning-reports`;
  const f = o.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await f(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
      body: JSON.stringify(o.report),
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
  } catch (err) {
    throw new SafeLoopError('GW_ERR_REPORT_UPLOAD', `cannot reach ${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) throw new SafeLoopError('GW_ERR_REPORT_UPLOAD', `the cloud refused the report (HTTP ${res.status}): ${text.slice(0, 300)}`, { details: { status: res.status } });
  const body = JSON.parse(text) as { id?: unknown };
  if (typeof body.id !== 'string') throw new SafeLoopError('GW_ERR_REPORT_UPLOAD', `unexpected answer from ${url}: ${text.slice(0, 200)}`);
  return { id: body.id };
}
