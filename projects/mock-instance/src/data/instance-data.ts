/**
 * An instance's data as a user declares it for their own app's tests (`--data ./instance.json`,
 * or `startMockInstance({ data })`): tables (with a parent such as `task`, typed fields, choices,
 * references), records, users with their password and roles, access rules, OAuth clients.
 * Validated at startup with `zod`: a mistake is named by file, path inside it, and what is wrong.
 *
 * ```json
 * {
 *   "tables": {
 *     "x_acme_ticket": {
 *       "label": "Ticket", "display": "number", "numberPrefix": "TKT",
 *       "fields": {
 *         "number": { "type": "string", "readOnly": true },
 *         "title": { "type": "string" },
 *         "state": { "type": "choice", "choices": { "1": "Open", "2": "Closed" } },
 *         "owner": { "type": "reference", "reference": "sys_user" }
 *       }
 *     }
 *   },
 *   "users": [{ "user_name": "ann", "password": "pw", "roles": ["x_acme.agent"], "name": "Ann" }],
 *   "records": { "x_acme_ticket": [{ "title": "Printer on fire", "state": "1" }] },
 *   "acls": [
 *     { "table": "x_acme_ticket", "operation": "read", "roles": ["x_acme.agent"] },
 *     { "table": "x_acme_ticket", "operation": "read", "condition": "owner=javascript:gs.getUserID()" }
 *   ]
 * }
 * ```
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { z } from 'zod';

import { demoDataInput } from './demo-input';
import { seededSysId } from './seed';
import {
  BUILT_IN,
  FIELD_TYPES,
  SYSTEM_FIELDS,
  TableDef,
  TableSpec,
  tablesOf,
  UNSERVED_TABLES,
} from './tables';

export type { FieldSpec, TableSpec } from './tables';

const NAME = /^[a-z][a-z0-9_]*$/;

const fieldSchema = z
  .object({
    type: z.enum(FIELD_TYPES),
    label: z.string().optional(),
    choices: z.record(z.string(), z.string()).optional(),
    reference: z.string().optional(),
    readOnly: z.boolean().optional(),
    default: z.string().optional(),
  })
  .strict()
  .refine((f) => f.type !== 'reference' || f.reference !== undefined, {
    message: 'a reference field needs "reference": the table it points to',
  })
  .refine((f) => f.type !== 'choice' || f.choices !== undefined, {
    message: 'a choice field needs "choices": { value: label }',
  });

const tableSchema = z
  .object({
    extends: z.string().regex(NAME).optional(),
    label: z.string().optional(),
    display: z.string().optional(),
    numberPrefix: z
      .string()
      .regex(/^[A-Z]{2,6}$/)
      .optional(),
    fields: z.record(
      z.string().regex(NAME, 'a field name is lower-case: a-z, 0-9, _'),
      fieldSchema,
    ),
  })
  .strict();

const value = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** A user: their `sys_user` fields, password and roles. */
const userSchema = z
  .object({
    user_name: z.string().min(1),
    /** Without one, the user exists but cannot log in. */
    password: z.string().min(1).optional(),
    roles: z.array(z.string().min(1)).default([]),
    sys_id: z.string().optional(),
    name: z.string().optional(),
    first_name: z.string().optional(),
    last_name: z.string().optional(),
    email: z.string().optional(),
    title: z.string().optional(),
    department: z.string().optional(),
    /** The sys_id of another user. */
    manager: z.string().optional(),
    active: z.union([z.boolean(), z.enum(['true', 'false'])]).optional(),
    time_zone: z.string().optional(),
    sys_created_on: z.string().optional(),
    sys_created_by: z.string().optional(),
    sys_updated_on: z.string().optional(),
    sys_updated_by: z.string().optional(),
    sys_mod_count: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

const aclSchema = z
  .object({
    table: z.string(),
    operation: z.enum(['read', 'create', 'write', 'delete']),
    roles: z.array(z.string().min(1)).default([]),
    condition: z.string().optional(),
  })
  .strict();

const instanceDataSchema = z
  .object({
    /** `"demo"`: this data adds to the demo's (tables, users, records, rules, clients). */
    extends: z
      .literal('demo', { error: 'the only data to extend is "demo" (the demo\'s data)' })
      .optional(),
    tables: z
      .record(z.string().regex(NAME, 'a table name is lower-case: a-z, 0-9, _'), tableSchema)
      .default({}),
    users: z.array(userSchema).default([]),
    records: z.record(z.string(), z.array(z.record(z.string(), value))).default({}),
    acls: z.array(aclSchema).default([]),
    oauthClients: z
      .array(
        z
          .object({
            clientId: z.string().min(1),
            clientSecret: z.string(),
            user: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
    /** A line the login page shows under the users (the demo says its password). */
    loginHint: z.string().optional(),
  })
  .strict();

/** A user: their `sys_user` fields, password (without one they cannot log in) and roles. */
export interface UserSpec {
  readonly user_name: string;
  readonly password?: string;
  readonly roles?: readonly string[];
  readonly sys_id?: string;
  readonly name?: string;
  readonly first_name?: string;
  readonly last_name?: string;
  readonly email?: string;
  readonly title?: string;
  readonly department?: string;
  /** The sys_id of another user. */
  readonly manager?: string;
  readonly active?: boolean | 'true' | 'false';
  readonly time_zone?: string;
  readonly sys_created_on?: string;
  readonly sys_created_by?: string;
  readonly sys_updated_on?: string;
  readonly sys_updated_by?: string;
  readonly sys_mod_count?: string | number;
}

/** An access rule: who may do `operation` on `table`'s records (see the mock's README). */
export interface AclSpec {
  readonly table: string;
  readonly operation: 'read' | 'create' | 'write' | 'delete';
  /** Any one of these roles grants it; none: any logged-in user. */
  readonly roles?: readonly string[];
  /** An encoded query the record must match (reads, writes, deletes). */
  readonly condition?: string;
}

/** The data of an instance, as a data file declares it (see the example above). */
export interface InstanceDataInput {
  /**
   * `"demo"`: build on the demo's data instead of replacing it. Its users, records, access rules
   * and OAuth clients come first and yours are added; a table the demo declares (`task`,
   * `incident`) gets your fields added to its own (yours win), and its label, display field and
   * number prefix where you give them.
   */
  readonly extends?: 'demo';
  readonly tables?: Readonly<Record<string, TableSpec>>;
  readonly users?: readonly UserSpec[];
  /** Records by table; a value is text, a number, a boolean or null (empty). */
  readonly records?: Readonly<
    Record<string, readonly Readonly<Record<string, string | number | boolean | null>>[]>
  >;
  readonly acls?: readonly AclSpec[];
  readonly oauthClients?: readonly OAuthClient[];
  /** A line the login page shows under the users (the demo says its password). */
  readonly loginHint?: string;
}

/** The data of an instance, validated, every list present. */
export interface InstanceData {
  readonly tables: Readonly<Record<string, TableSpec>>;
  readonly users: readonly (UserSpec & { readonly roles: readonly string[] })[];
  readonly records: Readonly<
    Record<string, readonly Readonly<Record<string, string | number | boolean | null>>[]>
  >;
  readonly acls: readonly (AclSpec & { readonly roles: readonly string[] })[];
  readonly oauthClients: readonly OAuthClient[];
  readonly loginHint?: string;
}

// The schema and the interfaces above say the same: each side must fit the other.
type Fits<A, B> = A extends B ? true : never;
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
const schemaFits: [
  Fits<z.output<typeof instanceDataSchema>, InstanceData>,
  Fits<Writable<InstanceDataInput>, z.input<typeof instanceDataSchema>>,
] = [true, true];
void schemaFits;

/** A client allowed to ask for tokens, and (for the client credentials grant) whom it acts as. */
export interface OAuthClient {
  readonly clientId: string;
  readonly clientSecret: string;
  /** The user a `client_credentials` token acts as; without one, that grant is refused. */
  readonly user?: string;
}

/** Tables every instance has, which data may fill but not declare. */
const BUILT_IN_TABLES = Object.keys(BUILT_IN);

/** Data that does not fit: every problem, each as `<where>: <path>: <what>`. */
export class InstanceDataError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source} is not valid instance data:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InstanceDataError';
  }
}

/**
 * Validates data given in code or read from a file (with `"extends": "demo"`, added to the demo's
 * data), and resolves references written as names (see {@link resolveReferences}). Throws an
 * {@link InstanceDataError} naming every problem by its path in `source`.
 */
export function validateInstanceData(input: unknown, source = 'the instance data'): InstanceData {
  const parsed = instanceDataSchema.safeParse(input);
  if (!parsed.success) {
    throw new InstanceDataError(
      source,
      parsed.error.issues.map((issue) => `${pathOf(issue.path)}: ${issue.message}`),
    );
  }
  const { extends: base, ...own } = parsed.data;
  const { data, where } = base === 'demo' ? onDemo(own) : { data: own, where: ownPaths };
  const problems = crossCheck(data, where);
  if (problems.length > 0) {
    throw new InstanceDataError(source, problems);
  }
  const resolved = resolveReferences(data, where);
  if (resolved.problems.length > 0) {
    throw new InstanceDataError(source, resolved.problems);
  }
  return resolved.data;
}

type Data = Omit<z.output<typeof instanceDataSchema>, 'extends'>;

/**
 * Where an entry of the data came from, as a path a user finds in their file: `list` is `users`,
 * `acls`, `oauthClients` or `records.<table>`, `i` the index in the data as merged.
 */
type Paths = (list: string, i: number) => string;

const ownPaths: Paths = (list, i) => `${list}[${i}]`;

/** The user's data added to the demo's: the demo's entries first, so their sys_ids stay. */
function onDemo(own: Data): { data: Data; where: Paths } {
  const demo = instanceDataSchema.parse(demoDataInput());
  const tables = { ...demo.tables };
  for (const [name, spec] of Object.entries(own.tables)) {
    const theirs = Object.hasOwn(tables, name) ? tables[name] : undefined;
    tables[name] = theirs
      ? { ...theirs, ...spec, fields: { ...theirs.fields, ...spec.fields } }
      : spec;
  }
  const records: Record<string, Data['records'][string]> = { ...demo.records };
  for (const [table, rows] of Object.entries(own.records)) {
    records[table] = [...(records[table] ?? []), ...rows];
  }
  const demoCount = (list: string): number =>
    list.startsWith('records.')
      ? (demo.records[list.slice('records.'.length)]?.length ?? 0)
      : (demo[list as 'users' | 'acls' | 'oauthClients']?.length ?? 0);
  return {
    data: {
      tables,
      users: [...demo.users, ...own.users],
      records,
      acls: [...demo.acls, ...own.acls],
      oauthClients: [...demo.oauthClients, ...own.oauthClients],
      loginHint: own.loginHint ?? demo.loginHint,
    },
    where: (list, i) => {
      const before = demoCount(list);
      return i < before ? `${list}[${i}] (of the demo data)` : `${list}[${i - before}]`;
    },
  };
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.length === 0
    ? '(top level)'
    : path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '');
}

/** What the schema alone cannot see: names that must point at each other. */
function crossCheck(data: Data, where: Paths): string[] {
  const problems: string[] = [];
  const tables = new Set<string>([...BUILT_IN_TABLES, ...Object.keys(data.tables)]);
  const fieldsOf = (table: string, seen = new Set<string>()): Set<string> | null => {
    if (table === 'sys_user') {
      return new Set(SYS_USER_FIELDS);
    }
    const def = data.tables[table];
    if (!def || seen.has(table)) {
      return null;
    }
    seen.add(table);
    const inherited = def.extends ? fieldsOf(def.extends, seen) : new Set<string>();
    return inherited && new Set([...inherited, ...Object.keys(def.fields), ...SYSTEM_FIELD_NAMES]);
  };
  for (const [name, def] of Object.entries(data.tables)) {
    if (BUILT_IN_TABLES.includes(name)) {
      problems.push(`tables.${name}: ${name} is built in; fill it with "users" or "records"`);
      continue;
    }
    if (def.extends && !Object.hasOwn(data.tables, def.extends)) {
      problems.push(`tables.${name}.extends: no table ${def.extends} is declared`);
    } else if (fieldsOf(name) === null) {
      problems.push(`tables.${name}.extends: the tables extend each other in a circle`);
    }
    for (const [field, f] of Object.entries(def.fields)) {
      // A reference may also name a table of the instance the mock does not serve (its link is
      // then the instance's 400), as the out-of-box fields of `task` do (`sys_domain`, ...).
      if (
        f.reference !== undefined &&
        !tables.has(f.reference) &&
        !UNSERVED_TABLES.includes(f.reference)
      ) {
        problems.push(`tables.${name}.fields.${field}.reference: no table ${f.reference}`);
      }
    }
    if (def.display !== undefined && !fieldsOf(name)?.has(def.display)) {
      problems.push(`tables.${name}.display: no field ${def.display}`);
    }
  }
  for (const [table, rows] of Object.entries(data.records)) {
    const fields = tables.has(table) ? fieldsOf(table) : null;
    if (!tables.has(table) || table === 'sys_db_object' || table === 'sys_dictionary') {
      const demos = !tables.has(table) && Object.hasOwn(demoDataInput().tables, table);
      problems.push(
        `records.${table}: ${tables.has(table) ? 'answered from the tables declared' : `no table ${table} is declared`}` +
          (demos ? ` (the demo's data has it: "extends": "demo" builds on that data)` : ''),
      );
      continue;
    }
    rows.forEach((row, i) => {
      for (const field of Object.keys(row)) {
        if (!fields?.has(field)) {
          problems.push(`${where(`records.${table}`, i)}.${field}: ${table} has no field ${field}`);
        }
      }
      const id = row['sys_id'];
      if (id !== undefined && (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id))) {
        problems.push(
          `${where(`records.${table}`, i)}.sys_id: must be 32 lower-case hexadecimal characters`,
        );
      }
    });
  }
  const userNames = new Set<string>();
  data.users.forEach((user, i) => {
    if (userNames.has(user.user_name)) {
      problems.push(`${where('users', i)}.user_name: ${user.user_name} is declared twice`);
    }
    userNames.add(user.user_name);
    if (user.sys_id !== undefined && !/^[0-9a-f]{32}$/.test(user.sys_id)) {
      problems.push(`${where('users', i)}.sys_id: must be 32 lower-case hexadecimal characters`);
    }
  });
  data.acls.forEach((acl, i) => {
    if (!tables.has(acl.table)) {
      problems.push(`${where('acls', i)}.table: no table ${acl.table}`);
    }
  });
  data.oauthClients.forEach((client, i) => {
    if (client.user !== undefined && !userNames.has(client.user)) {
      problems.push(`${where('oauthClients', i)}.user: no user ${client.user} is declared`);
    }
  });
  return problems;
}

/**
 * References written as names, resolved to the sys_id they name: a reference field of a record
 * (or a user's `manager`) may give the record's sys_id, a user's `user_name` (for `sys_user`), or
 * the record's display value (a user's `name`, an incident's `number`, ...), in that order. A
 * value that names no record, or several by display value, is a problem, as is a sys_id no record
 * has: a reference that points nowhere would make the app's lists come back empty without a word.
 * References to a table the mock does not serve (`sys_user_group`, ...) are kept as given. The
 * sys_ids are the ones the database gives (`seededSysId`), so a record needs none to be named.
 */
function resolveReferences(data: Data, where: Paths): { data: Data; problems: string[] } {
  const tables = tablesOf(data.tables);
  // Each table's records by sys_id, user name and display value (a child table's under its
  // ancestors too: an incident is a task), so that each reference is one lookup.
  interface Index {
    readonly ids: Set<string>;
    readonly byUserName: Map<string, string[]>;
    readonly byDisplay: Map<string, string[]>;
  }
  const indexes = new Map<string, Index>();
  const listed = (map: Map<string, string[]>, key: string, id: string) => {
    const ids = map.get(key);
    if (ids) {
      ids.push(id);
    } else {
      map.set(key, [id]);
    }
  };
  const add = (table: string, id: string, values: Readonly<Record<string, unknown>>) => {
    for (let def: TableDef | undefined = tables[table]; def;) {
      let index = indexes.get(def.name);
      if (!index) {
        index = { ids: new Set(), byUserName: new Map(), byDisplay: new Map() };
        indexes.set(def.name, index);
      }
      index.ids.add(id);
      if (typeof values['user_name'] === 'string') {
        listed(index.byUserName, values['user_name'], id);
      }
      listed(index.byDisplay, String(values[def.displayField] ?? ''), id);
      def = def.parent ? tables[def.parent] : undefined;
    }
  };
  for (const user of data.users) {
    add('sys_user', user.sys_id ?? seededSysId(`sys_user:${user.user_name}`), user);
  }
  const numbered = numberRecords(data.records, tables);
  for (const [table, rows] of Object.entries(numbered)) {
    rows.forEach((row, i) => {
      add(
        table,
        typeof row['sys_id'] === 'string' ? row['sys_id'] : seededSysId(`${table}:${i}`),
        row,
      );
    });
  }

  const problems: string[] = [];
  const resolve = (target: string, value: unknown, path: string): unknown => {
    if (typeof value !== 'string' || value === '' || !Object.hasOwn(tables, target)) {
      return value;
    }
    const index = indexes.get(target);
    if (index?.ids.has(value)) {
      return value;
    }
    const byUserName = index?.byUserName.get(value) ?? [];
    if (byUserName.length === 1) {
      return byUserName[0];
    }
    const display = tables[target].displayField;
    const byDisplay = index?.byDisplay.get(value) ?? [];
    if (byDisplay.length === 1) {
      return byDisplay[0];
    }
    const ways = target === 'sys_user' ? `sys_id, user_name or ${display}` : `sys_id or ${display}`;
    problems.push(
      byDisplay.length > 1
        ? `${path}: ${JSON.stringify(value)} is the ${display} of ${byDisplay.length} ${target} records; give one's sys_id`
        : `${path}: ${JSON.stringify(value)} names no ${target} record (by ${ways})`,
    );
    return value;
  };

  const userManager = tables['sys_user'].fields['manager'];
  const users = data.users.map((user, i) =>
    user.manager === undefined
      ? user
      : {
          ...user,
          manager: resolve(
            userManager.reference!,
            user.manager,
            `${where('users', i)}.manager`,
          ) as string,
        },
  );
  const records = Object.fromEntries(
    Object.entries(numbered).map(([table, rows]) => {
      const fields = tables[table].fields;
      return [
        table,
        rows.map((row, i) =>
          Object.fromEntries(
            Object.entries(row).map(([field, value]) => {
              const reference =
                fields[field]?.type === 'reference' ? fields[field].reference : undefined;
              return [
                field,
                reference === undefined
                  ? value
                  : resolve(reference, value, `${where(`records.${table}`, i)}.${field}`),
              ];
            }),
          ),
        ),
      ];
    }),
  ) as Data['records'];
  return { data: { ...data, users, records }, problems };
}

/**
 * The records with their numbers: in a table with a `numberPrefix`, a record the data gives no
 * `number` gets the next after the highest the data gives (the demo's incidents end at
 * INC0010300, so an added one is INC0010301), so that a reference may name it. An instance numbers
 * a new record from its table's number record (`sys_number`, ServiceNowDocs
 * `platform-administration/c_ManagingRecordNumbering.md`); whether a record inserted with a
 * number of its own moves that counter is unverified: following the highest is the mock's choice.
 */
function numberRecords(
  records: Data['records'],
  tables: ReturnType<typeof tablesOf>,
): Data['records'] {
  return Object.fromEntries(
    Object.entries(records).map(([table, rows]) => {
      const def = tables[table];
      if (!def.numberPrefix || !Object.hasOwn(def.fields, 'number')) {
        return [table, rows];
      }
      let next = Math.max(
        1,
        ...rows.map((row) => Number(/(\d+)$/.exec(String(row['number'] ?? ''))?.[1] ?? 0) + 1),
      );
      return [
        table,
        rows.map((row) =>
          row['number'] === undefined || row['number'] === null || row['number'] === ''
            ? { ...row, number: `${def.numberPrefix}${String(next++).padStart(7, '0')}` }
            : row,
        ),
      ];
    }),
  );
}

const SYSTEM_FIELD_NAMES = Object.keys(SYSTEM_FIELDS);
const SYS_USER_FIELDS = Object.keys(BUILT_IN['sys_user'].fields);

/**
 * Reads a data file: JSON, or a JavaScript module (CommonJS or ESM) whose default export (or
 * `module.exports`) is the data, or a TypeScript module when the project has `tsx` installed.
 * Relative paths resolve against the caller's directory. Throws an {@link InstanceDataError}.
 */
export async function loadInstanceData(file: string): Promise<InstanceData> {
  const path = resolve(file);
  let input: unknown;
  try {
    const ext = extname(path);
    if (ext === '.json') {
      input = JSON.parse(readFileSync(path, 'utf8'));
    } else if (['.ts', '.mts', '.cts'].includes(ext)) {
      input = await importTypeScript(path);
    } else if (ext === '.mjs') {
      input = await importModule(pathToFileURL(path).href);
    } else {
      // CommonJS, or ESM that Node 20.19+ can require.
      input = createRequire(path)(path);
    }
  } catch (error) {
    if (error instanceof InstanceDataError) {
      throw error;
    }
    throw new InstanceDataError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  return validateInstanceData(unwrapDefault(input), file);
}

function unwrapDefault(module: unknown): unknown {
  const m = module as { default?: unknown; tables?: unknown; users?: unknown };
  return m && typeof m === 'object' && m.default !== undefined && !m.tables && !m.users
    ? unwrapDefault(m.default)
    : module;
}

/**
 * A TypeScript data module, through the project's own `tsx` (the package does not bring one): its
 * ES module API (`tsx/esm/api`, the `import` entry of its exports), imported by path — resolving it
 * with `require` would give the CommonJS entry, which some tsx releases cannot load on Node 20.
 */
async function importTypeScript(path: string): Promise<unknown> {
  const projectRequire = createRequire(resolve('package.json'));
  let manifest: string;
  try {
    manifest = projectRequire.resolve('tsx/package.json');
  } catch {
    throw new InstanceDataError(path, [
      'a TypeScript data file needs tsx in your project (npm install --save-dev tsx), or give JSON or JavaScript',
    ]);
  }
  const exported = (
    JSON.parse(readFileSync(manifest, 'utf8')) as {
      exports?: Record<string, { import?: string | { default?: string } }>;
    }
  ).exports?.['./esm/api']?.import;
  const entry = typeof exported === 'string' ? exported : exported?.default;
  if (!entry) {
    throw new InstanceDataError(path, [
      `the tsx in your project (${manifest}) has no ES module API (tsx/esm/api): install tsx 4 or later`,
    ]);
  }
  const { tsImport } = (await importModule(pathToFileURL(join(dirname(manifest), entry)).href)) as {
    tsImport: (file: string, parent: string) => Promise<unknown>;
  };
  return tsImport(pathToFileURL(path).href, pathToFileURL(resolve('package.json')).href);
}

/**
 * `import()` kept as it is by the CommonJS build (which would turn a plain one into `require`, and
 * `require` cannot load an ES module from a URL).
 */
const importModule = new Function('specifier', 'return import(specifier)') as (
  specifier: string,
) => Promise<unknown>;
