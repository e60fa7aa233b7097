/**
 * The instance's records, in memory: its data (the demo's, or a user's data file), plus what
 * clients create, update and delete until the next reset. It also holds what the data says about
 * who may log in, with which roles, and the access rules.
 */
import { randomBytes } from 'node:crypto';

import type { InstanceData } from './instance-data';
import { ACTIVE_STATES, glideDateTime, seededSysId } from './seed';
import { Row, TableDef, Tables, tablesOf } from './tables';

/** An access rule of the data (`acls`), as the ACL check reads it. */
export interface AclRule {
  readonly table: string;
  readonly operation: 'read' | 'create' | 'write' | 'delete';
  /** Any one of these roles grants it; none listed: any logged-in user. */
  readonly roles: readonly string[];
  /** An encoded query the record must match (reads, writes and deletes). */
  readonly condition?: string;
}

/** Told of each write: the record before (null for an insert) and after (null for a delete). */
export type ChangeListener = (table: TableDef, before: Row | null, after: Row | null) => void;

export class Database {
  private store = new Map<string, Map<string, Row>>();
  private readonly changeListeners: ChangeListener[] = [];
  private counters = new Map<string, number>();
  /** The instance's tables, built-in and declared. */
  readonly tables: Tables;
  private readonly credentials: ReadonlyMap<
    string,
    { readonly password?: string; readonly roles: readonly string[] }
  >;

  constructor(
    private readonly clock: () => number,
    private readonly data: InstanceData,
  ) {
    this.tables = tablesOf(data.tables);
    const schemaReads = ['sys_db_object', 'sys_dictionary']
      .filter((table) => !data.acls.some((rule) => rule.table === table))
      .map((table): AclRule => ({ table, operation: 'read', roles: [] }));
    this.rules = [...data.acls, ...schemaReads];
    this.credentials = new Map(
      data.users.map((u) => [u.user_name, { password: u.password, roles: u.roles }]),
    );
    this.reset();
  }

  /** Now, by the instance's clock. */
  now(): number {
    return this.clock();
  }

  /**
   * The access rules of the data; the schema tables (`sys_db_object`, `sys_dictionary`) are
   * readable by anyone logged in unless the data says otherwise (on an instance their ACLs vary
   * by release: unverified).
   */
  get acls(): readonly AclRule[] {
    return this.rules;
  }
  private readonly rules: readonly AclRule[];

  /** The login page's hint under the users, if the data has one. */
  get loginHint(): string | null {
    return this.data.loginHint ?? null;
  }

  /** The users who can log in (they have a password), in the data's order. */
  loginUsers(): string[] {
    return this.data.users.filter((u) => u.password !== undefined).map((u) => u.user_name);
  }

  /** A user's password (undefined: cannot log in) and roles, or null for no such user. */
  credentialsOf(userName: string) {
    return this.credentials.get(userName) ?? null;
  }

  table(name: string): TableDef | undefined {
    return Object.hasOwn(this.tables, name) ? this.tables[name] : undefined;
  }

  /** Restores the data, dropping every change. */
  reset(): void {
    const created = glideDateTime(this.clock());
    const rowOf = (def: TableDef, values: Record<string, unknown>, key: string): Row => {
      const row = newRow(def, values);
      Object.assign(row, {
        sys_created_on: created,
        sys_created_by: 'admin',
        sys_updated_on: created,
        sys_updated_by: 'admin',
        sys_mod_count: '0',
      });
      for (const [field, value] of Object.entries(values)) {
        if (Object.hasOwn(def.fields, field)) {
          row[field] = value === null || value === undefined ? '' : String(value);
        }
      }
      row['sys_id'] ||= seededSysId(key);
      return row;
    };
    this.store = new Map(Object.keys(this.tables).map((name) => [name, new Map()]));
    const put = (table: string, row: Row) => this.store.get(table)!.set(keyOf(row['sys_id']), row);

    const users = this.tables['sys_user'];
    for (const { password: _p, roles: _r, ...fields } of this.data.users) {
      put('sys_user', rowOf(users, { active: 'true', ...fields }, `sys_user:${fields.user_name}`));
    }
    // Every record of the data has its number: validation gave one to each it lacked (see
    // `numberRecords`), so that references may name it.
    for (const [table, rows] of Object.entries(this.data.records)) {
      const def = this.tables[table];
      rows.forEach((values, i) => {
        const row = rowOf(def, values, `${table}:${i}`);
        mirrorNumber(def, row);
        put(table, row);
      });
    }
    // A record a client creates gets the next after the highest number.
    this.counters = new Map();
    for (const def of Object.values(this.tables)) {
      const numbers = this.rows(def.name)
        .map((r) => Number(/(\d+)$/.exec(r['number'] ?? '')?.[1] ?? 0))
        .filter((n) => n > 0);
      if (def.numberPrefix) {
        this.counters.set(def.name, Math.max(1, ...numbers.map((n) => n + 1)));
      }
    }
    this.describeTables(created);
  }

  /** `sys_db_object` and `sys_dictionary`, from the tables: what apps that read the schema ask. */
  private describeTables(created: string): void {
    const objects = this.tables['sys_db_object'];
    const dictionary = this.tables['sys_dictionary'];
    const system = { sys_created_on: created, sys_updated_on: created, sys_mod_count: '0' };
    for (const def of Object.values(this.tables)) {
      this.store.get('sys_db_object')!.set(seededSysId(`sys_db_object:${def.name}`), {
        ...Object.fromEntries(Object.keys(objects.fields).map((f) => [f, ''])),
        ...system,
        sys_id: seededSysId(`sys_db_object:${def.name}`),
        name: def.name,
        label: def.label ?? def.name,
        super_class: def.parent ? seededSysId(`sys_db_object:${def.parent}`) : '',
      });
      for (const [element, field] of Object.entries(def.fields)) {
        const id = seededSysId(`sys_dictionary:${def.name}.${element}`);
        this.store.get('sys_dictionary')!.set(id, {
          ...Object.fromEntries(Object.keys(dictionary.fields).map((f) => [f, ''])),
          ...system,
          sys_id: id,
          name: def.name,
          element,
          column_label: field.label ?? element,
          internal_type: field.type === 'datetime' ? 'glide_date_time' : field.type,
          reference: field.reference ?? '',
          read_only: field.readOnly ? 'true' : 'false',
        });
      }
    }
  }

  private nextNumber(def: TableDef): string {
    const next = this.counters.get(def.name) ?? 1;
    this.counters.set(def.name, next + 1);
    return `${def.numberPrefix}${String(next).padStart(7, '0')}`;
  }

  /** All rows of a table, in insertion order. */
  rows(table: string): Row[] {
    return [...(this.store.get(table)?.values() ?? [])];
  }

  /**
   * A record by its sys_id, in any case: a sys_id given on insert is kept as given
   * (`AAAABBBB...`), and ServiceNow's PySNC finds such a record again by the same id
   * (`test_insert_custom_guid`, `test/test_snc_api_write.py` in `ServiceNow/PySNC`, which its CI
   * runs against a real instance); the mock matches ids without regard to case, as it compares
   * text in queries.
   */
  get(table: string, sysId: string): Row | null {
    return this.store.get(table)?.get(keyOf(sysId)) ?? null;
  }

  /** A record's display value, for references. */
  displayOf(table: string, sysId: string): string {
    const def = this.table(table);
    return (def && this.get(table, sysId)?.[def.displayField]) ?? '';
  }

  findUser(userName: string): Row | null {
    return this.rows('sys_user').find((u) => u['user_name'] === userName) ?? null;
  }

  /** Calls `listener` after each insert, update and delete (the message bus publishes them). */
  onChange(listener: ChangeListener): void {
    this.changeListeners.push(listener);
  }

  private changed(table: TableDef, before: Row | null, after: Row | null): void {
    this.changeListeners.forEach((listener) => listener(table, before, after && { ...after }));
  }

  /** Inserts a record; `sysId` is kept when given (checked by the caller), else one is made. */
  insert(def: TableDef, values: Row, by: string, sysId?: string): Row {
    const now = glideDateTime(this.clock());
    const row = newRow(def, values);
    Object.assign(row, values, {
      sys_id: sysId ?? randomBytes(16).toString('hex'),
      sys_created_on: now,
      sys_created_by: by,
      sys_updated_on: now,
      sys_updated_by: by,
      sys_mod_count: '0',
    });
    if (def.numberPrefix) {
      row['number'] = this.nextNumber(def);
    }
    mirrorNumber(def, row);
    applyRules(def, row);
    this.store.get(def.name)!.set(keyOf(row['sys_id']), row);
    this.changed(def, null, row);
    return row;
  }

  update(def: TableDef, row: Row, values: Row, by: string): Row {
    const before = { ...row };
    Object.assign(row, values, {
      sys_updated_on: glideDateTime(this.clock()),
      sys_updated_by: by,
      sys_mod_count: String(Number(row['sys_mod_count'] || '0') + 1),
    });
    applyRules(def, row);
    this.changed(def, before, row);
    return row;
  }

  delete(table: string, sysId: string): boolean {
    const before = this.store.get(table)?.get(keyOf(sysId));
    const def = this.table(table);
    const deleted = this.store.get(table)?.delete(keyOf(sysId)) ?? false;
    if (deleted && before && def) {
      this.changed(def, before, null);
    }
    return deleted;
  }
}

/** Where a table keeps a record: its sys_id, case aside (see `Database.get`). */
function keyOf(sysId: string): string {
  return sysId.toLowerCase();
}

/**
 * A new record of `def` before its values: every field empty, except those with a default that
 * `values` does not name (the dictionary defaults a recorded instance fills in on insert: an
 * incident created with nothing but a caller comes back `active`, `priority` 5, `approval`
 * `not requested`, ...; see `data/out-of-box.ts`) and `sys_class_name`, which names the record's
 * table, as on every recorded task and user.
 */
function newRow(def: TableDef, values: Readonly<Record<string, unknown>>): Row {
  const row: Row = {};
  for (const [name, field] of Object.entries(def.fields)) {
    const given = Object.hasOwn(values, name);
    row[name] =
      name === 'sys_class_name' && !given
        ? def.name
        : field.default !== undefined && !given
          ? field.default
          : '';
  }
  return row;
}

/**
 * `task_effective_number` follows `number`, as on every recorded task (`INC0010006` in both);
 * what an instance puts there for a record numbered otherwise is unverified.
 */
function mirrorNumber(def: TableDef, row: Row): void {
  if (Object.hasOwn(def.fields, 'task_effective_number') && Object.hasOwn(def.fields, 'number')) {
    row['task_effective_number'] = row['number'];
  }
}

/**
 * The demo data's business rule, for a table named `incident` with a `state` and an `active`
 * field: an incident's `active` follows its state (and `incident_state` mirrors it). A data file
 * cannot declare business rules.
 */
function applyRules(def: TableDef, row: Row): void {
  if (def.name === 'incident' && 'state' in def.fields && 'active' in def.fields) {
    if (row['state'] === '') {
      row['state'] = '1';
    }
    if ('incident_state' in def.fields) {
      row['incident_state'] = row['state'];
    }
    row['active'] = ACTIVE_STATES.has(row['state']) ? 'true' : 'false';
  }
}
