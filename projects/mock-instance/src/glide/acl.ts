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

/** The detail of the instance's 403 for a refused write. */
export function aclDetail(operation: Exclude<Operation, 'read'>): string {
  const verb = { create: 'Insert', write: 'Update', delete: 'Delete' }[operation];
  return `ACL Exception ${verb} Failed due to security constraints`;
}
