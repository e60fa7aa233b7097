/**
 * Fields of a table, dot-walks included (`caller_id.name`): which exist, and what a record holds.
 */
import type { Database } from './database';
import type { FieldDef, Row, TableDef, Tables } from './tables';

/** The definition of the field a (dot-walked) path ends on, or null. */
export function fieldAt(tables: Tables, def: TableDef, path: string): FieldDef | null {
  const [head, ...rest] = path.split('.');
  const field = Object.hasOwn(def.fields, head) ? def.fields[head] : undefined;
  if (!field) {
    return null;
  }
  if (rest.length === 0) {
    return field;
  }
  const target = field.type === 'reference' ? tables[field.reference!] : undefined;
  return target ? fieldAt(tables, target, rest.join('.')) : null;
}

/** True for a field of `def`, or a dot-walk through its references. */
export function knownField(tables: Tables, def: TableDef, path: string): boolean {
  return fieldAt(tables, def, path) !== null;
}

/** Whether a record reached through a reference may be read (a dot-walk's every step). */
export type RecordAccess = (def: TableDef, row: Row) => boolean;

/**
 * A (dot-walked) field's stored value on `row`; '' where a reference on the way is empty, or
 * names a record `mayRead` refuses (by default every record may be read: the system's view).
 */
export function readField(
  db: Database,
  def: TableDef,
  row: Row,
  path: string,
  mayRead: RecordAccess = () => true,
): string {
  const dot = path.indexOf('.');
  if (dot < 0) {
    return row[path] ?? '';
  }
  const field = def.fields[path.slice(0, dot)];
  const target = field && db.get(field.reference!, row[path.slice(0, dot)] ?? '');
  const targetDef = field && db.table(field.reference!);
  return target && targetDef && mayRead(targetDef, target)
    ? readField(db, targetDef, target, path.slice(dot + 1), mayRead)
    : '';
}
