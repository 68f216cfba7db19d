// A point's alarm state, kept apart from its data quality: the value is coloured by the worst active
// alarm on the point (一级/二级, HH/LL…, 红/橙/黄/蓝 warnings, faults) and "正常" means no active alarm —
// never "the data is good". Built from the site's open alarms; pure.
import { colourOf } from './alarm-model.js';

const RANK = { red: 4, orange: 3, yellow: 2, blue: 1 };

/** point path → its worst active alarm { colour, level, kind, title, id } (points without one are absent). */
export function pointStates(alarms) {
  const out = new Map();
  for (const a of alarms ?? []) {
    if (!a.point || a.condition !== 'active' || a.state === 'closed') continue;
    const colour = colourOf(a) ?? (a.kind === 'fault' ? 'fault' : null);
    const cur = out.get(a.point);
    const rank = RANK[colour] ?? (colour === 'fault' ? 0.5 : 0);
    if (!cur || rank > cur.rank) out.set(a.point, { colour, level: a.level ?? null, kind: a.kind, id: a.id, rank });
  }
  return out;
}
