// One DuckDB value as text, the way DuckDB itself renders it (`value::VARCHAR`), and as JSON.
//
// The @duckdb/node-api value classes (timestamps with their µs/ns, TIME, DATE, INTERVAL,
// DECIMAL, UUID, BLOB as \xNN …) already print as DuckDB does; test/query/sql-values.test.ts
// checks each type against DuckDB's own cast. Three cases differ and are fixed here: DOUBLE and
// FLOAT (DuckDB prints the shortest digits of the value's own width, in Python's repr layout:
// 1e-05, 1e+16, 100.0, nan, inf), and DATE ±infinity. Nested values (LIST, STRUCT, MAP) are
// written here, item by item at the item's type (so [100.0] stays 100.0), in the node-api's
// syntax, which is DuckDB's literal syntax ({'a': 1, 'b': 'x'}); DuckDB 1.5's cast leaves strings
// inside them unquoted ({'a': 1, 'b': x}), which is ambiguous.

import {
  type DuckDBArrayType,
  type DuckDBListType,
  type DuckDBMapType,
  type DuckDBStructType,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBArrayValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBUnionValue,
  DuckDBTypeId,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';

/** DuckDB's text for a value; null for SQL NULL so each format picks its own spelling. */
export function valueText(value: DuckDBValue, type: DuckDBType): string | null {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      if (type.typeId === DuckDBTypeId.DOUBLE) return floatText(value, 64);
      if (type.typeId === DuckDBTypeId.FLOAT) return floatText(value, 32);
      return String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
  }
  if (value instanceof DuckDBDateValue) return dateText(value);
  return nestedText(value, type) ?? String(value);
}

/** LIST, ARRAY, STRUCT and MAP with each item at its own type; null for other values. */
function nestedText(value: object, type: DuckDBType): string | null {
  const id = type.typeId;
  const listType = id === DuckDBTypeId.LIST || id === DuckDBTypeId.ARRAY;
  if ((value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) && listType) {
    const itemType = (type as DuckDBListType | DuckDBArrayType).valueType;
    return `[${value.items.map((item) => itemText(item, itemType)).join(', ')}]`;
  }
  if (value instanceof DuckDBStructValue && id === DuckDBTypeId.STRUCT) {
    const struct = type as DuckDBStructType;
    const parts: string[] = [];
    for (const name of Object.keys(value.entries)) {
      const entryType = struct.entryTypes[struct.entryIndexes[name]!]!;
      parts.push(`${quoted(name)}: ${itemText(value.entries[name]!, entryType)}`);
    }
    return `{${parts.join(', ')}}`;
  }
  if (value instanceof DuckDBMapValue && id === DuckDBTypeId.MAP) {
    const map = type as DuckDBMapType;
    const parts = value.entries.map((e) => `${itemText(e.key, map.keyType)}: ${itemText(e.value, map.valueType)}`);
    return `{${parts.join(', ')}}`;
  }
  return null;
}

/** An item inside a nested value: NULL spelled out, strings quoted as SQL literals. */
function itemText(value: DuckDBValue, type: DuckDBType): string {
  if (value === null) return 'NULL';
  if (typeof value === 'string') return quoted(value);
  return valueText(value, type)!;
}

function quoted(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function dateText(value: DuckDBDateValue): string {
  if (value.days === DuckDBDateValue.PosInf.days) return 'infinity';
  if (value.days === DuckDBDateValue.NegInf.days) return '-infinity';
  return value.toString();
}

/**
 * A float as DuckDB prints it: the shortest digits that read back to the same value at its
 * width (32 or 64 bits), positional for exponents −4 … 15 (with ".0" on whole numbers), else
 * scientific with a signed two-digit exponent — Python's repr layout.
 */
export function floatText(value: number, bits: 32 | 64): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (value === 0) return '0.0';
  const [mantissa, exponentText] = shortestExponential(value, bits).split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return positional(mantissa, exponent);
}

/** `d.ddde±x` with the fewest digits that round-trip at the given width. */
function shortestExponential(value: number, bits: 32 | 64): string {
  if (bits === 64) return value.toExponential();
  for (let digits = 0; digits < 9; digits++) {
    const text = value.toExponential(digits);
    if (Math.fround(Number(text)) === value) return text;
  }
  return value.toExponential(8);
}

function positional(mantissa: string, exponent: number): string {
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exponent < 0) text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  else if (digits.length > exponent + 1) text = `${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
  else text = `${digits}${'0'.repeat(exponent + 1 - digits.length)}.0`;
  return negative ? `-${text}` : text;
}

/**
 * A value as JSON text, one JSON type per column whatever the value: every integer (BIGINT and
 * HUGEINT included) and DECIMAL is a JSON number with all its digits (never rounded through a
 * double); NaN and ±inf, which JSON cannot hold, are null; LIST/ARRAY → array, STRUCT → object,
 * MAP → object keyed by the key's text; every other type is a string of DuckDB's text.
 */
export function jsonText(value: DuckDBValue, type: DuckDBType | null): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) return 'null';
      return type?.typeId === DuckDBTypeId.FLOAT ? floatJson(value) : String(value);
    case 'bigint':
    case 'boolean':
      return String(value);
  }
  return objectJson(value);
}

function floatJson(value: number): string {
  // the float32's shortest decimal, read as a double, prints back with the same digits
  return String(Number(shortestExponential(value, 32)));
}

function objectJson(value: Exclude<DuckDBValue, null | string | number | bigint | boolean>): string {
  if (value instanceof DuckDBDecimalValue) return value.toString();
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
    let out = '[';
    for (let i = 0; i < value.items.length; i++) out += (i > 0 ? ',' : '') + jsonText(value.items[i]!, null);
    return `${out}]`;
  }
  if (value instanceof DuckDBStructValue) {
    const parts: string[] = [];
    for (const key of Object.keys(value.entries)) {
      parts.push(`${JSON.stringify(key)}:${jsonText(value.entries[key]!, null)}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (value instanceof DuckDBMapValue) {
    const parts = value.entries.map((e) => `${JSON.stringify(String(e.key))}:${jsonText(e.value, null)}`);
    return `{${parts.join(',')}}`;
  }
  if (value instanceof DuckDBUnionValue) return jsonText(value.value, null);
  if (value instanceof DuckDBDateValue) return JSON.stringify(dateText(value));
  return JSON.stringify(String(value));
}

const NUMERIC_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.TINYINT, DuckDBTypeId.SMALLINT, DuckDBTypeId.INTEGER, DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT, DuckDBTypeId.UTINYINT, DuckDBTypeId.USMALLINT, DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.FLOAT, DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
]);

/** Numbers are right-aligned in tables. */
export function isNumericType(type: DuckDBType): boolean {
  return NUMERIC_TYPES.has(type.typeId);
}
