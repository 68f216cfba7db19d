/** The scan result as a technician reads it: one line per device, then the settings that worked. */
import type { DeviceIdentification } from './modbus-device-id.ts';
import type { LineSetting } from './scan-plan.ts';
import type { ScanResult } from './scan.ts';

export function lineText(s: LineSetting): string {
  return `${s.baudRate} ${s.parity} (8${s.parity === 'none' ? 'N' : s.parity === 'even' ? 'E' : 'O'}${s.stopBits})`;
}

function idText(id: DeviceIdentification | undefined, support: string): string {
  if (!id) return support === 'no' ? 'no 43/14 (refused)' : 'no 43/14 (no answer)';
  return [id.vendorName, id.productCode, id.revision].map((x) => x ?? '?').join(' / ');
}

export function formatScanResult(r: ScanResult): string {
  const lines = [`Scan of ${r.target}: ${r.found.length} device(s) in ${(r.elapsedMs / 1000).toFixed(1)} s, ${r.probes} probes${r.aborted ? ' (stopped early)' : ''}`];
  if (r.found.length > 0) {
    lines.push('');
    lines.push('unit  line settings          answered by                                   identification (vendor / product / revision)');
    for (const d of r.found) {
      lines.push(`${String(d.unitId).padEnd(5)} ${(d.line ? lineText(d.line) : '—').padEnd(22)} ${d.answeredBy.map((a) => a.text).join('; ').padEnd(45)} ${idText(d.identification, d.identificationSupport)}${d.slow ? '  (answered late: raise --timeout and the device timeout)' : ''}`);
    }
  }
  if (r.workingSettings.length > 0) lines.push('', `Line settings that worked: ${r.workingSettings.map(lineText).join(', ')}`);
  const noisy = r.settings.filter((s) => s.garbled > 0 && s.answered === 0 && s.setting);
  if (noisy.length > 0) {
    lines.push(`Garbled replies (a device at other settings, or a wiring/termination problem) at: ${noisy.map((s) => (s.setting ? `${lineText(s.setting)} ×${s.garbled}` : '')).join(', ')}`);
  }
  return lines.join('\n');
}
