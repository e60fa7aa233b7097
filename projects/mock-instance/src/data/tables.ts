/**
 * The tables the mock instance serves, their fields, and how a record is shaped on the wire for
 * each `sysparm_display_value` setting.
 */

export type FieldType = 'string' | 'boolean' | 'integer' | 'choice' | 'reference' | 'datetime';

export interface FieldDef {
  readonly type: FieldType;
  /** Value → label, for choice fields. */
  readonly choices?: Readonly<Record<string, string>>;
  /** Referenced table, for reference fields. */
  readonly reference?: string;
  /** Set by the server, ignored in request bodies. */
  readonly readOnly?: boolean;
}

export interface TableDef {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldDef>>;
  /** Field whose value is a reference's display value. */
  readonly displayField: string;
  /** Prefix of the auto-numbered `number` field, if the table has one. */
  readonly numberPrefix?: string;
}

/** A stored record: every value is a string, '' when empty. */
export type Row = Record<string, string>;

const STATE_CHOICES = {
  '1': 'New',
  '2': 'In Progress',
  '3': 'On Hold',
  '6': 'Resolved',
  '7': 'Closed',
  '8': 'Canceled',
};
const PRIORITY_CHOICES = {
  '1': '1 - Critical',
  '2': '2 - High',
  '3': '3 - Moderate',
  '4': '4 - Low',
  '5': '5 - Planning',
};
const LEVEL_CHOICES = { '1': '1 - High', '2': '2 - Medium', '3': '3 - Low' };

const SYSTEM_FIELDS: Record<string, FieldDef> = {
  sys_id: { type: 'string', readOnly: true },
  sys_created_on: { type: 'datetime', readOnly: true },
  sys_created_by: { type: 'string', readOnly: true },
  sys_updated_on: { type: 'datetime', readOnly: true },
  sys_updated_by: { type: 'string', readOnly: true },
  sys_mod_count: { type: 'integer', readOnly: true },
};

export const TABLES: Readonly<Record<string, TableDef>> = {
  sys_user: {
    name: 'sys_user',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      user_name: { type: 'string' },
      name: { type: 'string' },
      first_name: { type: 'string' },
      last_name: { type: 'string' },
      email: { type: 'string' },
      title: { type: 'string' },
      department: { type: 'string' },
      manager: { type: 'reference', reference: 'sys_user' },
      active: { type: 'boolean' },
      time_zone: { type: 'string' },
    },
  },
  incident: {
    name: 'incident',
    displayField: 'number',
    numberPrefix: 'INC',
    fields: {
      ...SYSTEM_FIELDS,
      number: { type: 'string', readOnly: true },
      short_description: { type: 'string' },
      description: { type: 'string' },
      state: { type: 'choice', choices: STATE_CHOICES },
      incident_state: { type: 'choice', choices: STATE_CHOICES },
      active: { type: 'boolean' },
      priority: { type: 'choice', choices: PRIORITY_CHOICES },
      urgency: { type: 'choice', choices: LEVEL_CHOICES },
      impact: { type: 'choice', choices: LEVEL_CHOICES },
      category: {
        type: 'choice',
        choices: {
          inquiry: 'Inquiry / Help',
          software: 'Software',
          hardware: 'Hardware',
          network: 'Network',
          database: 'Database',
        },
      },
      caller_id: { type: 'reference', reference: 'sys_user' },
      opened_by: { type: 'reference', reference: 'sys_user' },
      assigned_to: { type: 'reference', reference: 'sys_user' },
      opened_at: { type: 'datetime' },
      resolved_at: { type: 'datetime' },
      closed_at: { type: 'datetime' },
    },
  },
};

/** States in which an incident is active. */
export const ACTIVE_STATES: ReadonlySet<string> = new Set(['1', '2', '3']);

/** How `sysparm_display_value` and `sysparm_exclude_reference_link` shape values. */
export interface Shape {
  readonly displayValue: 'false' | 'true' | 'all';
  readonly excludeReferenceLink: boolean;
  /** `https://host` of the instance, for reference links. */
  readonly baseUrl: string;
}

/** Resolves a reference to its display value ('' when the target is missing). */
export type DisplayOf = (table: string, sysId: string) => string;

/** One field of a record as the Table API returns it. */
export function shapeField(
  def: FieldDef,
  value: string,
  shape: Shape,
  displayOf: DisplayOf,
): unknown {
  if (def.type === 'reference') {
    if (value === '') {
      return shape.displayValue === 'all' ? { display_value: '', value: '' } : '';
    }
    const link = `${shape.baseUrl}/api/now/table/${def.reference}/${value}`;
    const withLink = (o: Record<string, string>) =>
      shape.excludeReferenceLink ? o : { ...o, link };
    switch (shape.displayValue) {
      case 'false':
        return shape.excludeReferenceLink ? value : { link, value };
      case 'true':
        return shape.excludeReferenceLink
          ? displayOf(def.reference!, value)
          : { display_value: displayOf(def.reference!, value), link };
      case 'all':
        return withLink({ display_value: displayOf(def.reference!, value), value });
    }
  }
  const display = def.choices?.[value] ?? value;
  switch (shape.displayValue) {
    case 'false':
      return value;
    case 'true':
      return display;
    case 'all':
      return { display_value: display, value };
  }
}

/** A dot-walked field (`caller_id.name`) of a record: its definition and stored value. */
export type WalkedField = (path: string) => { def: FieldDef; value: string } | null;

/**
 * A record as the Table API returns it, limited to `fields` when given. A dot-walked field is
 * returned under its path (`"caller_id.name"`), shaped as the field it ends on; unknown fields are
 * left out.
 */
export function shapeRecord(
  table: TableDef,
  row: Row,
  fields: readonly string[] | null,
  shape: Shape,
  displayOf: DisplayOf,
  walk: WalkedField,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of fields ?? Object.keys(table.fields)) {
    const field = name.includes('.')
      ? walk(name)
      : Object.hasOwn(table.fields, name)
        ? { def: table.fields[name], value: row[name] ?? '' }
        : null;
    if (field) {
      out[name] = shapeField(field.def, field.value, shape, displayOf);
    }
  }
  return out;
}
