/**
 * A parameterised statement written out as plain SQL text, so several statements can travel to PostgreSQL
 * in one simple-protocol message (one round trip) — what a transaction's deferred writes and its COMMIT
 * use (pg-db.ts). Every value becomes a quoted literal, which the server types from its context exactly as
 * it types an untyped parameter: '42' into a BIGINT column, '{a,b}' before ::text[], 'NaN' into a float8.
 *
 * Refuses (returns undefined, and the caller sends the statement on its own with real parameters) whatever
 * it cannot write out safely: a Buffer, a string holding a NUL byte (the wire format ends a query text at
 * NUL), a dollar-quoted string in the SQL, a placeholder without a value.
 */
import type { SqlParam } from './sql-db.ts';

/** The SQL literal of one value; undefined when it cannot be written out. */
export function sqlLiteral(v: SqlParam | undefined): string | undefined {
  if (v === null || v === undefined) return 'NULL';
  switch (typeof v) {
    case 'string':
      if (v.includes('\0')) return undefined;
      if (v.includes('\\')) return ` E'${v.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
      return v.includes("'") ? `'${v.replace(/'/g, "''")}'` : `'${v}'`;
    case 'number':
      return `'${String(v)}'`; // NaN and ±Infinity print as the words float8 reads
    case 'bigint':
      return `'${v.toString()}'`;
    case 'boolean':
      return v ? "'true'" : "'false'";
    default:
      return undefined; // a Buffer: bytea travels as a parameter
  }
}

/**
 * `sql` with each `$n` outside quotes and comments replaced by the literal of `params[n - 1]`; undefined when
 * something cannot be written out (see above).
 */
export function inlineParams(sql: string, params: readonly SqlParam[]): string | undefined {
  if (params.length === 0) return sql;
  const literals: (string | undefined)[] = params.map(sqlLiteral);
  let out = '';
  let from = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      // a quoted string or identifier; '' (or "") inside is an escaped quote, E'…' may escape with a backslash
      const escapes = c === "'" && i > 0 && /[eE]/.test(sql[i - 1]!) && !/[\w$]/.test(sql[i - 2] ?? ' ');
      i += 1;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else break;
        } else i += 1;
      }
      if (i >= n) return undefined; // unterminated: leave it to the server to report
      i += 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
    } else if (c === '$' && !(i > 0 && /\w/.test(sql[i - 1]!))) {
      let j = i + 1;
      while (j < n && sql.charCodeAt(j) >= 48 && sql.charCodeAt(j) <= 57) j += 1;
      if (j === i + 1) return undefined; // $tag$ or $$: a dollar-quoted string
      const lit = literals[Number(sql.slice(i + 1, j)) - 1];
      if (lit === undefined) return undefined;
      out += sql.slice(from, i) + lit;
      from = j;
      i = j;
    } else i += 1;
  }
  return out + sql.slice(from);
}
