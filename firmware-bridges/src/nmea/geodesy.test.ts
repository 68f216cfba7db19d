import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ecefToGeodetic, enuToGeodetic, geodeticToEcef, geodeticToEnu, WGS84_A, WGS84_E2 } from './geodesy.ts';

const near = (a: number, b: number, tol: number, msg: string): void => assert.ok(Math.abs(a - b) <= tol, `${msg}: ${a} vs ${b}`);
const DEG = 180 / Math.PI;

void test('ECEF of hand-known points (equator/prime meridian, pole, 90°E)', () => {
  const [x, y, z] = geodeticToEcef({ lat: 0, lon: 0, h: 0 });
  near(x, 6_378_137, 1e-9, 'x');
  near(y, 0, 1e-9, 'y');
  near(z, 0, 1e-9, 'z');
  const pole = geodeticToEcef({ lat: 90, lon: 0, h: 10 });
  near(pole[2], 6_356_752.314245179 + 10, 1e-6, 'polar radius b + h');
  const east = geodeticToEcef({ lat: 0, lon: 90, h: 100 });
  near(east[1], 6_378_237, 1e-6, 'y at 90°E');
});

void test('hand-computed ENU at the equator: 1 m north is Δφ = 1 / (a(1−e²)) rad, 1 m east is Δλ = 1 / a rad', () => {
  const ref = { lat: 0, lon: 0, h: 0 };
  // Meridian radius at the equator M = a(1 − e²) = 6 335 439.327 m.
  const north = geodeticToEnu({ lat: (1 / 6_335_439.327_083) * DEG, lon: 0, h: 0 }, ref);
  near(north.north, 1, 1e-7, 'north');
  near(north.east, 0, 1e-12, 'east');
  near(north.up, 0, 1e-6, 'up (curvature 1²/2R ≈ 8e-8 m)');
  const east = geodeticToEnu({ lat: 0, lon: (1 / 6_378_137) * DEG, h: 0 }, ref);
  near(east.east, 1, 1e-9, 'east');
  near(east.north, 0, 1e-12, 'north');
  const up = geodeticToEnu({ lat: 0, lon: 0, h: 0.0123 }, ref);
  near(up.up, 0.0123, 1e-9, 'up');
});

void test('mm displacements at a Jiangxi tailings dam match the meridian/prime-vertical radii to 1 µm', () => {
  const ref = { lat: 28.6847, lon: 115.8579, h: 52.3 };
  const s2 = Math.sin(ref.lat / DEG) ** 2;
  const M = (WGS84_A * (1 - WGS84_E2)) / (1 - WGS84_E2 * s2) ** 1.5;
  const N = WGS84_A / Math.sqrt(1 - WGS84_E2 * s2);
  const p = { lat: ref.lat + (0.0123 / (M + ref.h)) * DEG, lon: ref.lon + (-0.0071 / ((N + ref.h) * Math.cos(ref.lat / DEG))) * DEG, h: ref.h - 0.0042 };
  const enu = geodeticToEnu(p, ref);
  near(enu.north * 1000, 12.3, 1e-3, 'north mm');
  near(enu.east * 1000, -7.1, 1e-3, 'east mm');
  near(enu.up * 1000, -4.2, 1e-3, 'up mm');
});

void test('enuToGeodetic inverts geodeticToEnu and ecefToGeodetic inverts geodeticToEcef', () => {
  const ref = { lat: -33.9, lon: 151.2, h: 40 };
  for (const enu of [{ east: 0.001, north: -0.002, up: 0.003 }, { east: 125.5, north: -340.25, up: 12 }]) {
    const back = geodeticToEnu(enuToGeodetic(enu, ref), ref);
    near(back.east, enu.east, 1e-8, 'east');
    near(back.north, enu.north, 1e-8, 'north');
    near(back.up, enu.up, 1e-8, 'up');
  }
  const g = ecefToGeodetic(geodeticToEcef({ lat: 60.123456789, lon: -10.5, h: 1234.5678 }));
  near(g.lat, 60.123456789, 1e-11, 'lat');
  near(g.lon, -10.5, 1e-11, 'lon');
  near(g.h, 1234.5678, 1e-6, 'h');
});
