/**
 * The instance's records, in memory: the seed, plus what clients create, update and delete until
 * the next reset.
 */
import { randomBytes } from 'node:crypto';

import { buildSeed, glideDateTime } from './seed';
import { ACTIVE_STATES, Row, TableDef, TABLES } from './tables';

export class Database {
  private tables = new Map<string, Map<string, Row>>();
  private counters = new Map<string, number>();

  constructor(private readonly clock: () => number) {
    this.reset();
  }

  /** Restores the seed, dropping every change. */
  reset(): void {
    const seed = buildSeed();
    this.tables = new Map(
      Object.entries(seed).map(([name, rows]) => [
        name,
        new Map(rows.map((r: Row) => [r['sys_id'], r])),
      ]),
    );
    this.counters = new Map([['incident', 10001 + seed.incident.length]]);
  }

  /** All rows of a table, in insertion order. */
  rows(table: string): Row[] {
    return [...(this.tables.get(table)?.values() ?? [])];
  }

  get(table: string, sysId: string): Row | null {
    return this.tables.get(table)?.get(sysId) ?? null;
  }

  /** A record's display value, for references. */
  displayOf(table: string, sysId: string): string {
    const def = TABLES[table];
    return (def && this.get(table, sysId)?.[def.displayField]) ?? '';
  }

  findUser(userName: string): Row | null {
    return this.rows('sys_user').find((u) => u['user_name'] === userName) ?? null;
  }

  /** Inserts a record; `sysId` is kept when given (checked by the caller), else one is made. */
  insert(def: TableDef, values: Row, by: string, sysId?: string): Row {
    const now = glideDateTime(this.clock());
    const row: Row = Object.fromEntries(Object.keys(def.fields).map((f) => [f, '']));
    Object.assign(row, values, {
      sys_id: sysId ?? randomBytes(16).toString('hex'),
      sys_created_on: now,
      sys_created_by: by,
      sys_updated_on: now,
      sys_updated_by: by,
      sys_mod_count: '0',
    });
    if (def.numberPrefix) {
      const next = this.counters.get(def.name) ?? 1;
      this.counters.set(def.name, next + 1);
      row['number'] = `${def.numberPrefix}${String(next).padStart(7, '0')}`;
    }
    applyRules(def, row);
    this.tables.get(def.name)!.set(row['sys_id'], row);
    return row;
  }

  update(def: TableDef, row: Row, values: Row, by: string): Row {
    Object.assign(row, values, {
      sys_updated_on: glideDateTime(this.clock()),
      sys_updated_by: by,
      sys_mod_count: String(Number(row['sys_mod_count'] || '0') + 1),
    });
    applyRules(def, row);
    return row;
  }

  delete(table: string, sysId: string): boolean {
    return this.tables.get(table)?.delete(sysId) ?? false;
  }
}

/** Business rules the demo relies on: an incident's `active` follows its state. */
function applyRules(def: TableDef, row: Row): void {
  if (def.name === 'incident') {
    if (row['state'] === '') {
      row['state'] = '1';
    }
    row['incident_state'] = row['state'];
    row['active'] = ACTIVE_STATES.has(row['state']) ? 'true' : 'false';
  }
}
