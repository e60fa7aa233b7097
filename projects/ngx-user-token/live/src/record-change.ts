/** One field of a record in a message: its stored value and what users see. */
export interface RecordField {
  readonly value: string;
  readonly display_value: string;
}

/**
 * A change to a watched record, as the instance's message bus sends it (`message.data` of a
 * record-watcher channel). `T` names the fields an app reads from `record`.
 */
export interface RecordChange<T extends string = string> {
  /** `entry`: the record now matches the query; `change`: it matched and still does; `exit`: it no longer matches (or was deleted). */
  readonly action: 'entry' | 'change' | 'exit';
  readonly operation: 'insert' | 'update' | 'delete';
  readonly sysId: string;
  readonly table: string;
  /** The record's display value (an incident's number). */
  readonly displayValue: string;
  /** The names of the fields this write changed. */
  readonly changes: readonly string[];
  /** The record's fields after the write (before it, for a delete). */
  readonly record: Readonly<Partial<Record<T, RecordField>>>;
}

const ACTIONS = ['entry', 'change', 'exit'];
const OPERATIONS = ['insert', 'update', 'delete'];

/** A message's `data` as a {@link RecordChange}, or `null` when it is not one. */
export function toRecordChange(data: unknown): RecordChange | null {
  const d = data as Record<string, unknown> | null;
  if (
    typeof d !== 'object' ||
    d === null ||
    !ACTIONS.includes(d['action'] as string) ||
    typeof d['sys_id'] !== 'string'
  ) {
    return null;
  }
  return {
    action: d['action'] as RecordChange['action'],
    operation: OPERATIONS.includes(d['operation'] as string)
      ? (d['operation'] as RecordChange['operation'])
      : 'update',
    sysId: d['sys_id'],
    table: typeof d['table_name'] === 'string' ? d['table_name'] : '',
    displayValue: typeof d['display_value'] === 'string' ? d['display_value'] : '',
    changes: Array.isArray(d['changes']) ? d['changes'].filter((c) => typeof c === 'string') : [],
    record:
      typeof d['record'] === 'object' && d['record'] !== null
        ? (d['record'] as RecordChange['record'])
        : {},
  };
}
