/**
 * The one transform pipeline every bridge point goes through: parse the raw text strictly
 * (no coercion of junk to 0), value = raw × scale + offset, then range check.
 */
import type { Quality, ReasonCode } from '@safeloop/contract';

export interface ValueRules {
  scale: number;
  offset: number;
  range?: { min: number; max: number } | undefined;
}

export interface RuledValue {
  value: number | null;
  quality: Quality;
  reason?: ReasonCode;
  detail?: string;
}

/** Decimal number as instruments print it: optional sign, digits, optional fraction and exponent. */
const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/;

export function parseNumberText(text: string): number | undefined {
  const t = text.trim();
  if (!NUMBER_TEXT.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

export function applyValueRules(raw: string | number, rules: ValueRules): RuledValue {
  const n = typeof raw === 'number' ? raw : parseNumberText(raw);
  if (n === undefined || !Number.isFinite(n)) {
    return { value: null, quality: 'bad', reason: 'decode_error', detail: `not a number: ${String(raw).slice(0, 40)}` };
  }
  // Twelve significant digits drop binary noise from scaling (9999 × 0.1 = 999.9, not 999.9000000000001).
  const value = rules.scale === 1 && rules.offset === 0 ? n : Number((n * rules.scale + rules.offset).toPrecision(12));
  if (!Number.isFinite(value)) return { value: null, quality: 'bad', reason: 'decode_error', detail: 'value overflow' };
  if (rules.range && (value < rules.range.min || value > rules.range.max)) {
    return { value, quality: 'bad', reason: 'out_of_range', detail: `outside ${rules.range.min}..${rules.range.max}` };
  }
  return { value, quality: 'good' };
}
