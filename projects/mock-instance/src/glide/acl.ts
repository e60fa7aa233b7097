/**
 * Access control as a base instance applies it to the seeded users, table by table: what the
 * Table API lets a caller read, create, update and delete.
 *
 * Modelled on a base instance's ACLs for these two tables (approximated, not read from an
 * instance): `admin` may do anything; `itil` reads and updates every incident; a user without a
 * role (a self-service caller) reads and updates only the incidents they are the caller of or
 * opened, and may create incidents; anyone logged in reads users; only `admin` creates, updates or
 * deletes users, and deletes incidents. A refused read is a missing row (404 "No Record found ...
 * ACL restricts the record retrieval", rows dropped from lists and counts); a refused write is 403
 * `Operation Failed` / `ACL Exception <Operation> Failed due to security constraints`, the shape
 * instances answer with.
 */
import type { Caller } from '../session/csrf';
import { ROLES } from '../data/seed';
import type { Row, TableDef } from '../data/tables';

export type Operation = 'read' | 'create' | 'write' | 'delete';

/** The roles of a user; none for users the seed gives none. */
export function rolesOf(userName: string): readonly string[] {
  return Object.hasOwn(ROLES, userName) ? ROLES[userName] : [];
}

/** Whether `caller` may perform `operation` on `table` (on `row`, for a record operation). */
export function allowed(
  caller: Caller,
  operation: Operation,
  table: TableDef,
  row: Row | null,
): boolean {
  const roles = rolesOf(caller.userName);
  if (roles.includes('admin')) {
    return true;
  }
  if (table.name === 'sys_user') {
    return operation === 'read';
  }
  if (table.name === 'incident') {
    const involved =
      row !== null && (row['caller_id'] === caller.sysId || row['opened_by'] === caller.sysId);
    switch (operation) {
      case 'create':
        return true;
      case 'read':
      case 'write':
        return roles.includes('itil') || involved;
      case 'delete':
        return false;
    }
  }
  return false;
}

/** The detail of the instance's 403 for a refused write. */
export function aclDetail(operation: Exclude<Operation, 'read'>): string {
  const verb = { create: 'Insert', write: 'Update', delete: 'Delete' }[operation];
  return `ACL Exception ${verb} Failed due to security constraints`;
}
