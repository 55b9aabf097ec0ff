// Arrow views of the trace tables (tables.ts describes them): the schemas and dictionary
// vectors apache-arrow's writer and reader use. Everything in tables.ts is re-exported, so
// callers that load apache-arrow anyway keep importing from here.

import {
  Binary,
  Bool,
  DataType,
  Dictionary,
  Field,
  Int16,
  Int32,
  Int64,
  Int8,
  Schema,
  Uint8,
  Utf8,
  vectorFromArray,
  type Vector,
} from 'apache-arrow';
import { assertEnum, DICTIONARY_IDS, TABLES, type ColumnSpec, type TableName } from './tables.js';

export * from './tables.js';

const dictionaryVectors = new Map<string, Vector<Utf8>>();

/**
 * The fixed dictionary of an enum column as one shared Arrow vector. The IPC writer writes a
 * dictionary batch whenever a batch brings a dictionary object it has not seen, so every batch
 * must reuse this very object: then the dictionary goes out exactly once, before the first batch.
 */
export function dictionaryVector(column: ColumnSpec): Vector<Utf8> {
  assertEnum(column);
  const key = column.enumTypeName!;
  let vector = dictionaryVectors.get(key);
  if (vector === undefined) {
    vector = vectorFromArray([...column.dictionary!], new Utf8());
    dictionaryVectors.set(key, vector);
  }
  return vector;
}

export function arrowType(column: ColumnSpec): DataType {
  switch (column.kind) {
    case 'i16':
      return new Int16();
    case 'i32':
      return new Int32();
    case 'i64':
      return new Int64();
    case 'bool':
      return new Bool();
    case 'utf8':
      return new Utf8();
    case 'binary':
      return new Binary();
    case 'enum': {
      assertEnum(column);
      const indices = column.indexWidth === 'u8' ? new Uint8() : new Int8();
      return new Dictionary(new Utf8(), indices, DICTIONARY_IDS[column.name], false);
    }
  }
}

const arrowSchemas = new Map<TableName, Schema>();

export function arrowSchema(table: TableName): Schema {
  let schema = arrowSchemas.get(table);
  if (schema === undefined) {
    const fields = TABLES[table].columns.map(
      (c) => new Field(c.name, arrowType(c), c.nullable),
    );
    schema = new Schema(fields);
    arrowSchemas.set(table, schema);
  }
  return schema;
}

