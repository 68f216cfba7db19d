// echarts glue: one place that creates charts, keeps them sized to their box and disposes them.
// echarts itself is the vendored build (/vendor/echarts.min.js, copied by build-vendor.mjs).
import { h } from './dom.js';

export const COLOUR_HEX = { red: '#c62828', orange: '#ef6c00', yellow: '#f9a825', blue: '#1565c0', none: '#2e7d32' };
export const QUALITY_HEX = { good: '#2e7d32', uncertain: '#b26a00', bad: '#c62828' };

export function hasEcharts() {
  return typeof window.echarts !== 'undefined';
}

/** Create a chart in `box`; returns {chart, dispose}. Without echarts it explains instead of failing. */
export function makeChart(box) {
  if (!hasEcharts()) {
    box.append(h('p', { class: 'error' }, 'echarts missing: run node cloud/web/build-vendor.mjs'));
    return { chart: null, dispose: () => undefined };
  }
  const chart = window.echarts.init(box, null, { renderer: 'canvas' });
  const ro = new ResizeObserver(() => chart.resize());
  ro.observe(box);
  return {
    chart,
    dispose: () => {
      ro.disconnect();
      chart.dispose();
    },
  };
}

let geoCache = null;
/** County outlines of 江西省 (GB/T 2260 codes as feature ids), shipped with the page. */
export async function jiangxiCounties() {
  if (!geoCache) {
    geoCache = fetch('/geo/jiangxi-counties.json').then((r) => {
      if (!r.ok) throw new Error(`geo outlines: HTTP ${r.status}`);
      return r.json();
    });
  }
  return geoCache;
}

/**
 * Which outlines to draw for a region code: a province shows all its counties, a city its
 * counties, a county its city (so neighbours give context) with itself highlighted.
 */
export function mapScope(code) {
  let c = String(code ?? '').trim();
  if (!/^\d{2}(\d{2}(\d{2})?)?$/.test(c)) return null;
  // Codes arrive short (36, 3601, 360102) or padded (360000, 360100): shorten them.
  if (c.length === 6 && c.endsWith('0000')) c = c.slice(0, 2);
  else if (c.length === 6 && c.endsWith('00')) c = c.slice(0, 4);
  if (c.length <= 4) return { prefix: c, highlight: null };
  return { prefix: c.slice(0, 4), highlight: c };
}
