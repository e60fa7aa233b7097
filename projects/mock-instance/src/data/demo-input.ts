/**
 * The demo's data, as a data file would declare it: the KB's incident table (and the task table it
 * extends, both with the fields an instance returns out of the box), 30 users (three who
 * can log in, password `demo`), 300 incidents, and the access rules of a base instance for them
 * (approximated, not read from an instance): `admin` may do anything; `itil` reads and updates
 * every incident; a user without a role reads and updates only the incidents they are the caller
 * of or opened, and may create incidents; anyone logged in reads users; only `admin` creates,
 * updates or deletes users, and deletes incidents.
 */
import { INCIDENT_FIELDS, TASK_FIELDS } from './out-of-box';
import { buildSeed, DEMO_PASSWORD, LOGIN_USERS, ROLES } from './seed';

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
const CATEGORY_CHOICES = {
  inquiry: 'Inquiry / Help',
  software: 'Software',
  hardware: 'Hardware',
  network: 'Network',
  database: 'Database',
};

const MINE = 'caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()';

/**
 * The demo's data as a data file would declare it, before validation (its type is the data
 * file's, `InstanceDataInput`, which `instance-data.ts` checks it against: naming it here would
 * make the two files import each other).
 */
export function demoDataInput() {
  const seed = buildSeed();
  const canLogIn = new Set(LOGIN_USERS.map((u) => u.userName));
  return {
    tables: {
      // The out-of-box fields an instance returns (data/out-of-box.ts), with the demo's labels.
      task: {
        label: 'Task',
        display: 'number',
        numberPrefix: 'TASK',
        fields: TASK_FIELDS,
      },
      incident: {
        extends: 'task',
        label: 'Incident',
        display: 'number',
        numberPrefix: 'INC',
        fields: {
          ...INCIDENT_FIELDS,
          state: { type: 'choice', choices: STATE_CHOICES },
          incident_state: { type: 'choice', choices: STATE_CHOICES },
          priority: { type: 'choice', choices: PRIORITY_CHOICES, default: '5' },
          urgency: { type: 'choice', choices: LEVEL_CHOICES, default: '3' },
          impact: { type: 'choice', choices: LEVEL_CHOICES, default: '3' },
          category: { type: 'choice', choices: CATEGORY_CHOICES, default: 'inquiry' },
        },
      },
    },
    users: seed.sys_user.map((row) => ({
      ...row,
      ...(canLogIn.has(row['user_name']) ? { password: DEMO_PASSWORD } : {}),
      roles: [...(ROLES[row['user_name']] ?? [])],
    })),
    records: { incident: seed.incident },
    acls: [
      { table: 'sys_user', operation: 'read' },
      { table: 'incident', operation: 'create' },
      { table: 'incident', operation: 'read', roles: ['itil'] },
      { table: 'incident', operation: 'read', condition: MINE },
      { table: 'incident', operation: 'write', roles: ['itil'] },
      { table: 'incident', operation: 'write', condition: MINE },
    ],
    loginHint: `password "${DEMO_PASSWORD}" for ${LOGIN_USERS.map((u) => u.userName).join(', ')}`,
  };
}
