/**
 * PostgreSQL array literals (text input form) for `unnest($1::text[], $2::float8[], …)` parameters: one
 * array per column instead of one JSON document of records. The server reads an array of numbers or of
 * quoted strings with less work than it parses JSON objects (json_to_recordset looks up every key of every
 * record), and the worker builds them with plain string joins. Element order is kept, so rows come out of
 * unnest in the order given (the statements rely on it for key-ordered locking).
 */

/** A text[] literal: every element double-quoted (so '', 'NULL', commas, braces and blanks stay text), NULL for null. */
export function textArray(xs: readonly (string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (i > 0) out += ',';
    if (x === null || x === undefined) out += 'NULL';
    else out += `"${x.includes('"') || x.includes('\\') ? x.replace(/["\\]/g, '\\$&') : x}"`;
  }
  return `${out}}`;
}

/**
 * A float8[] / int8[] / int[] literal, NULL for null. Numbers print in their shortest exact form; NaN and
 * ±Infinity as the words float8 reads (JSON has no way to carry them: this path may).
 */
export function numArray(xs: readonly (number | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (i > 0) out += ',';
    out += x === null || x === undefined ? 'NULL' : String(x);
  }
  return `${out}}`;
}
