/**
 * WGS-84 geodetic ↔ ECEF ↔ local east/north/up, in double precision (metres).
 * ENU = R(φ0, λ0) · (ECEF(p) − ECEF(p0)); differences of ECEF coordinates near 6.4e6 m keep
 * ≈ 1e-9 m resolution in doubles, far below the millimetre we report.
 */
export const WGS84_A = 6_378_137;
export const WGS84_F = 1 / 298.257223563;
export const WGS84_E2 = WGS84_F * (2 - WGS84_F);

export interface Geodetic {
  lat: number; // degrees
  lon: number; // degrees
  h: number; // ellipsoidal height, m
}
export type Vec3 = [number, number, number];
export interface Enu {
  east: number;
  north: number;
  up: number;
}

const RAD = Math.PI / 180;

export function geodeticToEcef(p: Geodetic): Vec3 {
  const phi = p.lat * RAD;
  const lam = p.lon * RAD;
  const s = Math.sin(phi);
  const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * s * s);
  return [(n + p.h) * Math.cos(phi) * Math.cos(lam), (n + p.h) * Math.cos(phi) * Math.sin(lam), (n * (1 - WGS84_E2) + p.h) * s];
}

/** Iterative inverse (Bowring start); converges to < 1e-9 m near the surface in a few rounds. */
export function ecefToGeodetic([x, y, z]: Vec3): Geodetic {
  const lon = Math.atan2(y, x);
  const p = Math.hypot(x, y);
  let phi = Math.atan2(z, p * (1 - WGS84_E2));
  let h = 0;
  for (let i = 0; i < 10; i += 1) {
    const s = Math.sin(phi);
    const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * s * s);
    h = p / Math.cos(phi) - n;
    const next = Math.atan2(z, p * (1 - (WGS84_E2 * n) / (n + h)));
    if (Math.abs(next - phi) < 1e-15) {
      phi = next;
      break;
    }
    phi = next;
  }
  return { lat: phi / RAD, lon: lon / RAD, h };
}

/** Local east/north/up of `p` relative to `ref`, metres. */
export function geodeticToEnu(p: Geodetic, ref: Geodetic): Enu {
  const [x, y, z] = geodeticToEcef(p);
  const [x0, y0, z0] = geodeticToEcef(ref);
  const dx = x - x0;
  const dy = y - y0;
  const dz = z - z0;
  const sp = Math.sin(ref.lat * RAD);
  const cp = Math.cos(ref.lat * RAD);
  const sl = Math.sin(ref.lon * RAD);
  const cl = Math.cos(ref.lon * RAD);
  return {
    east: -sl * dx + cl * dy,
    north: -sp * cl * dx - sp * sl * dy + cp * dz,
    up: cp * cl * dx + cp * sl * dy + sp * dz,
  };
}

/** Inverse of geodeticToEnu (used by the GNSS simulator to script a displacement). */
export function enuToGeodetic(enu: Enu, ref: Geodetic): Geodetic {
  const [x0, y0, z0] = geodeticToEcef(ref);
  const sp = Math.sin(ref.lat * RAD);
  const cp = Math.cos(ref.lat * RAD);
  const sl = Math.sin(ref.lon * RAD);
  const cl = Math.cos(ref.lon * RAD);
  const { east: e, north: n, up: u } = enu;
  return ecefToGeodetic([
    x0 - sl * e - sp * cl * n + cp * cl * u,
    y0 + cl * e - sp * sl * n + cp * sl * u,
    z0 + cp * n + sp * u,
  ]);
}
