/**
 * The tables an instance serves — the built-in ones (`sys_user`, and `sys_db_object` and
 * `sys_dictionary` that describe every table) and those its data declares — their fields, and how
 * a record is shaped on the wire for each `sysparm_display_value` setting.
 *
 * `sys_user` carries the fields a base instance returns for a user, as recorded in the
 * `ServiceNow_IAM` integration's README of `demisto/content`
 * (`Packs/ServiceNow/Integrations/ServiceNow_IAM/README.md`: a vendor instance's new user, 2020,
 * 58 fields, no custom ones); a larger instance's user in `Packs/ServiceNow/Integrations/
 * ServiceNowITAdmin` adds plugin fields (`agent_status`, `sso_source`, ...) and customer `u_`
 * fields, which the mock leaves out. Types of fields that are empty in every recording are the
 * mock's reading of a base instance's dictionary (unverified).
 */

/** Field types, as an instance names them (`datetime` is accepted for `glide_date_time`). */
export const FIELD_TYPES = [
  'string',
  'integer',
  'decimal',
  'boolean',
  'choice',
  'reference',
  'glide_date_time',
  'datetime',
  'journal',
] as const;

/** A field of a declared table. */
export interface FieldSpec {
  readonly type: (typeof FIELD_TYPES)[number];
  readonly label?: string;
  /** Value → label, for a `choice` field. */
  readonly choices?: Readonly<Record<string, string>>;
  /** The table a `reference` field points to. */
  readonly reference?: string;
  /** Set by the instance, ignored in request bodies. */
  readonly readOnly?: boolean;
  /** The value a new record gets when it names none (the dictionary's default value). */
  readonly default?: string;
}

/** A declared table. */
export interface TableSpec {
  /** The table it extends, declared too: its fields and access rules are inherited. */
  readonly extends?: string;
  readonly label?: string;
  /** The field whose value a reference to this table displays. Default `number`, else `sys_id`. */
  readonly display?: string;
  /** Numbers new records `<PREFIX>0000001`, ... in their `number` field. */
  readonly numberPrefix?: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

export type FieldType =
  'string' | 'boolean' | 'integer' | 'decimal' | 'choice' | 'reference' | 'datetime' | 'journal';

export interface FieldDef {
  readonly type: FieldType;
  /** Value → label, for choice fields. */
  readonly choices?: Readonly<Record<string, string>>;
  /** Referenced table, for reference fields. */
  readonly reference?: string;
  /** Set by the server, ignored in request bodies. */
  readonly readOnly?: boolean;
  /** The column label (`sys_dictionary.column_label`). */
  readonly label?: string;
  /** The value a new record gets when it names none. */
  readonly default?: string;
}

export interface TableDef {
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldDef>>;
  /** Field whose value is a reference's display value. */
  readonly displayField: string;
  /** Prefix of the auto-numbered `number` field, if the table has one. */
  readonly numberPrefix?: string;
  /** The table it extends (`task` for `incident`), if any. */
  readonly parent?: string;
  readonly label?: string;
}

/** A stored record: every value is a string, '' when empty. */
export type Row = Record<string, string>;

/** The tables of one instance, by name. */
export type Tables = Readonly<Record<string, TableDef>>;

/**
 * Fields every record has. `sys_tags` (empty unless tagged) is in every recorded record, whatever
 * its table: incidents, requests, users, attachments (the recordings cited where each table is).
 */
export const SYSTEM_FIELDS: Record<string, FieldDef> = {
  sys_id: { type: 'string', readOnly: true },
  sys_created_on: { type: 'datetime', readOnly: true },
  sys_created_by: { type: 'string', readOnly: true },
  sys_updated_on: { type: 'datetime', readOnly: true },
  sys_updated_by: { type: 'string', readOnly: true },
  sys_mod_count: { type: 'integer', readOnly: true },
  sys_tags: { type: 'string', readOnly: true },
};

/**
 * Tables of an instance that out-of-box fields refer to and the mock does not serve: a reference
 * to one keeps its value and link (`sys_domain` → `sys_user_group/global` on every recorded task
 * and user), shows an empty display value, and its link is the instance's 400 `Invalid table`.
 */
export const UNSERVED_TABLES: readonly string[] = [
  'sys_user_group',
  'core_company',
  'cmn_location',
  'cmn_department',
  'cmn_cost_center',
  'cmn_building',
  'cmn_schedule',
  'cmdb_ci',
  'cmdb_ci_service',
  'service_offering',
  'ast_contract',
  'problem',
  'change_request',
  'sc_cat_item_delivery_plan',
  'sc_cat_item_delivery_task',
  'ldap_server_config',
  'sys_perspective',
];

export const BUILT_IN: Tables = {
  sys_user: {
    name: 'sys_user',
    label: 'User',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      user_name: { type: 'string', label: 'User ID' },
      name: { type: 'string', label: 'Name' },
      first_name: { type: 'string', label: 'First name' },
      middle_name: { type: 'string' },
      last_name: { type: 'string', label: 'Last name' },
      email: { type: 'string', label: 'Email' },
      title: { type: 'string', label: 'Title' },
      // A reference to cmn_department on an instance; the mock keeps the text data files give it.
      department: { type: 'string', label: 'Department' },
      manager: { type: 'reference', reference: 'sys_user', label: 'Manager' },
      active: { type: 'boolean', label: 'Active', default: 'true' },
      time_zone: { type: 'string', label: 'Time zone' },
      // The recorded new user's values are the defaults below; what is empty there stays empty.
      avatar: { type: 'string' },
      building: { type: 'reference', reference: 'cmn_building' },
      calendar_integration: { type: 'choice', choices: { '1': 'Outlook' }, default: '1' },
      city: { type: 'string' },
      company: { type: 'reference', reference: 'core_company' },
      cost_center: { type: 'reference', reference: 'cmn_cost_center' },
      country: { type: 'string' },
      date_format: { type: 'string' },
      default_perspective: { type: 'reference', reference: 'sys_perspective' },
      employee_number: { type: 'string' },
      enable_multifactor_authn: { type: 'boolean', default: 'false' },
      failed_attempts: { type: 'integer' },
      gender: { type: 'string' },
      home_phone: { type: 'string' },
      internal_integration_user: { type: 'boolean', default: 'false' },
      introduction: { type: 'string' },
      last_login: { type: 'string' },
      last_login_time: { type: 'datetime' },
      ldap_server: { type: 'reference', reference: 'ldap_server_config' },
      location: { type: 'reference', reference: 'cmn_location' },
      locked_out: { type: 'boolean', default: 'false' },
      mobile_phone: { type: 'string' },
      notification: { type: 'choice', choices: { '2': 'Enable' }, default: '2' },
      password_needs_reset: { type: 'boolean', default: 'false' },
      phone: { type: 'string' },
      photo: { type: 'string' },
      preferred_language: { type: 'string' },
      roles: { type: 'string', readOnly: true },
      schedule: { type: 'reference', reference: 'cmn_schedule' },
      source: { type: 'string' },
      state: { type: 'string' },
      street: { type: 'string' },
      sys_class_name: {
        type: 'choice',
        choices: { sys_user: 'User' },
        readOnly: true,
        default: 'sys_user',
      },
      sys_domain: { type: 'reference', reference: 'sys_user_group', default: 'global' },
      sys_domain_path: { type: 'string', default: '/' },
      time_format: { type: 'string' },
      // Read back empty (a password field); the mock's passwords live in the data's `users`.
      user_password: { type: 'string', readOnly: true },
      vip: { type: 'boolean', default: 'false' },
      web_service_access_only: { type: 'boolean', default: 'false' },
      zip: { type: 'string' },
    },
  },
  // What apps that read the schema ask: the tables and their columns. The names an instance uses
  // (`sys_dictionary.name`, `element`, `reference`, `internal_type`; `sys_db_object.super_class`)
  // are those of ServiceNow's GlideRecord API reference and its docs' scripts; `column_label`,
  // `label` and `read_only` as the mock fills them are unverified.
  sys_db_object: {
    name: 'sys_db_object',
    label: 'Table',
    displayField: 'name',
    fields: {
      ...SYSTEM_FIELDS,
      name: { type: 'string', readOnly: true },
      label: { type: 'string', readOnly: true },
      super_class: { type: 'reference', reference: 'sys_db_object', readOnly: true },
    },
  },
  sys_dictionary: {
    name: 'sys_dictionary',
    label: 'Dictionary Entry',
    displayField: 'element',
    fields: {
      ...SYSTEM_FIELDS,
      name: { type: 'string', readOnly: true },
      element: { type: 'string', readOnly: true },
      column_label: { type: 'string', readOnly: true },
      internal_type: { type: 'string', readOnly: true },
      reference: { type: 'string', readOnly: true },
      read_only: { type: 'boolean', readOnly: true },
    },
  },
};

/** The instance's tables: the built-in ones and those the data declares, with inherited fields. */
export function tablesOf(declared: Readonly<Record<string, TableSpec>>): Tables {
  const tables: Record<string, TableDef> = { ...BUILT_IN };
  const build = (name: string): TableDef => {
    if (tables[name]) {
      return tables[name];
    }
    const spec = declared[name];
    const parent = spec.extends ? build(spec.extends) : null;
    const own = Object.fromEntries(
      Object.entries(spec.fields).map(([field, f]): [string, FieldDef] => [
        field,
        {
          type: f.type === 'glide_date_time' ? 'datetime' : f.type,
          ...(f.choices ? { choices: f.choices } : {}),
          ...(f.reference ? { reference: f.reference } : {}),
          ...(f.readOnly ? { readOnly: true } : {}),
          ...(f.label ? { label: f.label } : {}),
          ...(f.default !== undefined ? { default: f.default } : {}),
        },
      ]),
    );
    const fields = { ...SYSTEM_FIELDS, ...(parent?.fields ?? {}), ...own };
    tables[name] = {
      name,
      fields,
      displayField:
        spec.display ?? parent?.displayField ?? ('number' in fields ? 'number' : 'sys_id'),
      ...(spec.numberPrefix ? { numberPrefix: spec.numberPrefix } : {}),
      ...(spec.extends ? { parent: spec.extends } : {}),
      ...(spec.label ? { label: spec.label } : {}),
    };
    return tables[name];
  };
  Object.keys(declared).forEach(build);
  return tables;
}

/** How `sysparm_display_value` and `sysparm_exclude_reference_link` shape values. */
export interface Shape {
  readonly displayValue: 'false' | 'true' | 'all';
  readonly excludeReferenceLink: boolean;
  /**
   * Where reference links point: `https://host/api/now`, or `https://host/api/now/v2` for a request
   * to a versioned path — recorded instances answer a `/api/now/v2/table` request with
   * `/api/now/v2/table/sys_user/...` links and a `/api/now/v1/table` one with `/api/now/v1/...`
   * (see `apiBaseOf` in `http/rest.ts` for the recordings).
   */
  readonly apiBase: string;
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
    const link = `${shape.apiBase}/table/${def.reference}/${value}`;
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
