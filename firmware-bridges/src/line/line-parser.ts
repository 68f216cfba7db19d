/**
 * Configurable ASCII line parser for simple instruments: a regular expression with named groups,
 * or a delimiter with field positions. Every point goes through the shared value rules
 * (strict number, scale, offset, range). Pure; never throws on input.
 */
import type { LineBridgeConfig, LinePoint } from '../config.ts';
import { applyValueRules, type RuledValue } from '../value-rules.ts';

export type LineParseResult =
  | { ok: true; values: { point: LinePoint; ruled: RuledValue }[] }
  | { ok: false; reason: 'no_match' | 'field_count' | 'ignored'; detail: string };

export type LineParser = (line: string) => LineParseResult;

export function makeLineParser(cfg: Pick<LineBridgeConfig, 'parse' | 'points'>): LineParser {
  const parse = cfg.parse;
  if (parse.kind === 'regex') {
    const re = new RegExp(parse.pattern, parse.flags);
    return (line) => {
      const m = re.exec(line);
      if (!m) return { ok: false, reason: 'no_match', detail: 'line does not match the pattern' };
      const groups = m.groups ?? {};
      return {
        ok: true,
        values: cfg.points.map((point) => {
          const raw = point.group === undefined ? undefined : groups[point.group];
          return { point, ruled: raw === undefined ? missing(point) : applyValueRules(raw, point) };
        }),
      };
    };
  }
  return (line) => {
    let text = line;
    if (parse.prefix !== undefined) {
      if (!text.startsWith(parse.prefix)) return { ok: false, reason: 'ignored', detail: 'prefix does not match' };
      text = text.slice(parse.prefix.length);
    }
    const fields = text.split(parse.delimiter).map((f) => (parse.trim ? f.trim() : f));
    if (parse.fieldCount !== undefined && fields.length !== parse.fieldCount) {
      return { ok: false, reason: 'field_count', detail: `${fields.length} fields, expected ${parse.fieldCount}` };
    }
    return {
      ok: true,
      values: cfg.points.map((point) => {
        const raw = point.field === undefined ? undefined : fields[point.field];
        return { point, ruled: raw === undefined ? missing(point) : applyValueRules(raw, point) };
      }),
    };
  };
}

function missing(point: LinePoint): RuledValue {
  return { value: null, quality: 'bad', reason: 'short_frame', detail: `no value for ${point.group ?? `field ${String(point.field)}`}` };
}
