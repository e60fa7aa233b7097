/**
 * Access control as an instance applies it, from the access rules of the instance's data
 * (`acls`): what the Table, Aggregate and Attachment APIs let a caller read, create, update and
 * delete.
 *
 * Modelled on an instance's ACLs (approximated, not read from an instance): `admin` may do
 * anything; otherwise a rule for the table and operation grants it when the caller has one of
 * its roles (a rule without roles: any logged-in user) and the record matches its condition (an
 * encoded query, `javascript:gs.getUserID()` and the other helpers included; a create has no
 * record yet, so only roles count). The rules of the table are read first; a table without any
 * for that operation takes its parent's (`incident` → `task`); with none at all, it is denied. A
 * refused read is a missing row (404 "No Record found ... ACL restricts the record retrieval",
 * rows dropped from lists and counts); a refused write is 403 `Operation Failed` / `ACL Exception
 * <Operation> Failed due to security constraints`, the shape instances answer with.
 *
 * A dot-walk (`caller_id.email`) reads the referenced record only if the caller may read it
 * (`readFieldAs`); otherwise the value is empty, in results, in queries and in the message bus's
 * record watchers alike (see `readFieldAs` for why empty). A rule's own condition is evaluated as
 * the system, every reference followed (how an instance reads a dot-walk in an ACL's condition
 * is unverified).
 */
import type { AclRule, Database } from '../data/database';
import { readField } from '../data/fields';
import type { Row, TableDef } from '../data/tables';
import type { Caller } from '../session/csrf';
import { EncodedQuery, evaluateScripts, matchesQuery, parseEncodedQuery } from './encoded-query';

export type Operation = 'read' | 'create' | 'write' | 'delete';

/** The roles of a user, from the data; none for a user it gives none. */
export function rolesOf(db: Database, userName: string): readonly string[] {
  return db.credentialsOf(userName)?.roles ?? [];
}

const parsed = new WeakMap<AclRule, EncodedQuery>();

/** Whether `caller` may perform `operation` on `table` (on `row`, for a record operation). */
export function allowed(
  db: Database,
  caller: Caller,
  operation: Operation,
  table: TableDef,
  row: Row | null,
): boolean {
  const roles = rolesOf(db, caller.userName);
  if (roles.includes('admin')) {
    return true;
  }
  let rules: AclRule[] = [];
  for (let def: TableDef | undefined = table; def && rules.length === 0;) {
    rules = db.acls.filter((rule) => rule.table === def!.name && rule.operation === operation);
    def = def.parent ? db.table(def.parent) : undefined;
  }
  return rules.some(
    (rule) =>
      (rule.roles.length === 0 || rule.roles.some((r) => roles.includes(r))) &&
      (rule.condition === undefined || row === null || matches(db, rule, caller, table, row)),
  );
}

function matches(db: Database, rule: AclRule, caller: Caller, table: TableDef, row: Row): boolean {
  let query = parsed.get(rule);
  if (!query) {
    query = parseEncodedQuery(rule.condition ?? '');
    parsed.set(rule, query);
  }
  const evaluated = evaluateScripts(query, {
    userId: caller.sysId,
    userName: caller.userName,
    now: db.now(),
  });
  return matchesQuery(evaluated, (field) => readField(db, table, row, field));
}

/**
 * A (dot-walked) field's value as `caller` may read it: each record a dot-walk reaches must be one
 * the caller may read, else the value is '' — exactly what the Table API returns for that path
 * (`sysparm_fields=caller_id.email`). A query reads the same value, so a condition on it matches
 * as on an empty field (`caller_id.emailISEMPTY` matches, `caller_id.email=x` does not): a filter
 * can never learn more than a read shows (no blind query), and a list's rows and counts agree with
 * what its fields show. Treating the value as unknown (no condition matching, not even `!=` or
 * `ISEMPTY`) would make a list drop rows whose shown value fits the filter. An instance refuses
 * such queries per field, for the whole query: query ACLs (`query_match`, `query_range`; the docs'
 * "Query ACLs") and `glide.export.query.enforce_field_acl` (the docs' "Enforce field ACLs for
 * inbound query requests"). The mock has no field-level ACLs, and access decided record by
 * record cannot refuse a whole query, so the value reads as empty (the mock's choice, unverified).
 */
export function readFieldAs(
  db: Database,
  caller: Caller,
  table: TableDef,
  row: Row,
  path: string,
): string {
  return readField(db, table, row, path, (def, target) => allowed(db, caller, 'read', def, target));
}

/** The detail of the instance's 403 for a refused write. */
export function aclDetail(operation: Exclude<Operation, 'read'>): string {
  const verb = { create: 'Insert', write: 'Update', delete: 'Delete' }[operation];
  return `ACL Exception ${verb} Failed due to security constraints`;
}
