/**
 * The few things SQLite and PostgreSQL spell differently, as SQL fragments. JSON lives in TEXT
 * columns on both; paths are dotted (`power.batteryV`).
 */
export type DialectName = 'sqlite' | 'postgres';

export interface Dialect {
  readonly name: DialectName;
  /** A JSON member as text: strings bare, objects and arrays as JSON text (SQLite's json_extract). */
  jsonText(expr: string, path: string): string;
  /** A JSON member as a number (null when missing). */
  jsonNumber(expr: string, path: string): string;
  /** The values of a JSON array (a parameter or a column) as a one-column subquery, for `IN (…)`. */
  arrayValues(expr: string): string;
  /** The elements of a JSON array member as a FROM item `alias` with a column `value` (read it with jsonText). */
  eachElement(expr: string, path: string, alias: string): string;
  /** `key: value` over the rows as JSON text. */
  objectAgg(key: string, value: string): string;
  /** The Monday (YYYY-MM-DD) of the week an ISO time falls in, after shifting it by `shift` ('480 minutes'). */
  weekOf(isoExpr: string, shift: string): string;
  /** Distinct values joined with commas. */
  distinctList(expr: string): string;
  /** Appended to a SELECT inside a transaction: lock the rows read until it ends (SQLite has one writer anyway). */
  readonly forUpdate: string;
  /** LIKE that ignores case (SQLite's LIKE does for ASCII; PostgreSQL's ILIKE). */
  readonly ilike: string;
}

const pgPath = (path: string): string => `'{${path.split('.').join(',')}}'`;

export const SQLITE: Dialect = {
  name: 'sqlite',
  jsonText: (e, p) => `json_extract(${e}, '$.${p}')`,
  jsonNumber: (e, p) => `json_extract(${e}, '$.${p}')`,
  arrayValues: (e) => `SELECT value FROM json_each(${e})`,
  eachElement: (e, p, a) => `json_each(${e}, '$.${p}') ${a}`,
  objectAgg: (k, v) => `json_group_object(${k}, ${v})`,
  weekOf: (e, shift) => `date(${e}, ${shift}, '-6 days', 'weekday 1')`,
  distinctList: (e) => `group_concat(DISTINCT ${e})`,
  forUpdate: '',
  ilike: 'LIKE',
};

export const POSTGRES: Dialect = {
  name: 'postgres',
  jsonText: (e, p) => `(${e})::jsonb #>> ${pgPath(p)}`,
  jsonNumber: (e, p) => `((${e})::jsonb #>> ${pgPath(p)})::float8`,
  arrayValues: (e) => `SELECT jsonb_array_elements_text((${e})::jsonb)`,
  eachElement: (e, p, a) => `jsonb_array_elements((${e})::jsonb #> ${pgPath(p)}) ${a}(value)`,
  objectAgg: (k, v) => `json_object_agg(${k}, ${v})`,
  weekOf: (e, shift) =>
    `to_char(date_trunc('week', ((${e})::timestamptz AT TIME ZONE 'UTC') + CAST(${shift} AS interval)), 'YYYY-MM-DD')`,
  distinctList: (e) => `string_agg(DISTINCT ${e}, ',')`,
  forUpdate: ' FOR UPDATE',
  ilike: 'ILIKE',
};
