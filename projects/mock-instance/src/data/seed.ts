/**
 * The seeded, deterministic data set: the same users and incidents on every start and reset.
 */
import { createHash } from 'node:crypto';

import type { Row } from './tables';

/** States in which an incident is active (the demo's business rule). */
export const ACTIVE_STATES: ReadonlySet<string> = new Set(['1', '2', '3']);

/** The password of every seeded user who can log in. */
export const DEMO_PASSWORD = 'demo';

/** Users who can log in (user name → role in the demo). */
export const LOGIN_USERS: readonly { userName: string; name: string; about: string }[] = [
  {
    userName: 'abel.tuter',
    name: 'Abel Tuter',
    about: 'the demo user, no role: sees and updates only the incidents he calls in or opened',
  },
  {
    userName: 'beth.anglin',
    name: 'Beth Anglin',
    about: 'service desk agent (itil): reads and updates every incident',
  },
  {
    userName: 'admin',
    name: 'System Administrator',
    about: 'admin: may do anything, the only one who may change users or delete incidents',
  },
];

/** The roles of the seeded users (`sys_user_has_role` on an instance); others have none. */
export const ROLES: Readonly<Record<string, readonly string[]>> = {
  admin: ['admin'],
  'beth.anglin': ['itil'],
};

const OTHER_USERS = [
  'David Miller',
  'Fred Luddy',
  'Charlie Whitherspoon',
  'Don Goodliffe',
  'Bud Richman',
  'Carol Coughlin',
  'Christen Mitchell',
  'Luke Wilson',
  'Jerrod Bennett',
  'Tia Cunningham',
  'Rick Berzle',
  'Bow Ruggeri',
  'Lucius Bagnoli',
  'Zane Sulikowski',
  'Margaret Grey',
  'Natasha Ingram',
  'Ron Kettering',
  'Sam Sorokin',
  'Taylor Vreeland',
  'Valerie Pou',
  'Wendy Tsai',
  'Yvette Kokoska',
  'Allie Pumphrey',
  'Joe Employee',
  'Krystle Stika',
  'Jimmie Barninger',
  'Hollis Mattson',
];

const SHORT_DESCRIPTIONS = [
  'Email is not syncing on my laptop',
  'VPN drops every hour',
  'Cannot print to the 3rd floor printer',
  'Password reset link expired',
  'Laptop battery drains overnight',
  'Shared drive is read-only',
  'Teams calls have no audio',
  'New starter needs an account',
  'Monitor flickers after docking',
  'Expense report page times out',
  'Wi-Fi slow in meeting room B',
  'Calendar invites show the wrong time zone',
  'Software install request: data viewer',
  'Database report returns no rows',
  'Phone will not enrol in device management',
];
const CATEGORIES = ['inquiry', 'software', 'hardware', 'network', 'database'];
const STATES = ['1', '2', '3', '6', '7', '8'];

/** First seeded timestamp; every seeded date is after it, all in UTC. */
const EPOCH = Date.UTC(2026, 0, 5, 8, 0, 0);

/** A stable 32-hex-digit sys_id for a seeded key. */
export function seededSysId(key: string): string {
  return createHash('sha1').update(key).digest('hex').slice(0, 32);
}

/** `YYYY-MM-DD HH:mm:ss` in UTC, the instance's value format. */
export function glideDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Seed {
  readonly sys_user: Row[];
  readonly incident: Row[];
}

/** Builds the seed: 30 users and 300 incidents, identical on every call. */
export function buildSeed(): Seed {
  const created = glideDateTime(EPOCH - 86_400_000 * 30);
  const system = (id: string): Row => ({
    sys_id: id,
    sys_created_on: created,
    sys_created_by: 'admin',
    sys_updated_on: created,
    sys_updated_by: 'admin',
    sys_mod_count: '0',
  });

  const names = [
    ...LOGIN_USERS.map((u) => ({ userName: u.userName, name: u.name })),
    ...OTHER_USERS.map((name) => ({ userName: name.toLowerCase().replace(/ /g, '.'), name })),
  ];
  const users: Row[] = names.map(({ userName, name }, i) => {
    const [first, ...rest] = name.split(' ');
    return {
      ...system(seededSysId(`sys_user:${userName}`)),
      user_name: userName,
      name,
      first_name: first,
      last_name: rest.join(' '),
      email: `${userName}@example.com`,
      title: i < 3 ? 'Service Desk' : 'Employee',
      department: ['IT', 'Finance', 'Sales', 'HR', 'Engineering'][i % 5],
      // Everyone but the administrator reports to the administrator.
      manager: userName === 'admin' ? '' : seededSysId('sys_user:admin'),
      active: 'true',
      time_zone: 'GMT',
    };
  });

  const rand = random(20160131);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)];
  const [abel, beth, admin] = users;
  const others = users.slice(3);

  const incidents: Row[] = [];
  for (let i = 0; i < 300; i++) {
    // Abel calls every 7th incident and opens every 11th; Beth calls every 9th.
    const caller = i % 7 === 0 ? abel : i % 9 === 0 ? beth : pick(others);
    const openedBy = i % 11 === 3 ? abel : rand() < 0.5 ? caller : admin;
    const state = STATES[i % STATES.length];
    const opened = EPOCH + i * 3_600_000 * 7 + Math.floor(rand() * 3_600_000);
    const updated = opened + 60_000 * (5 + i) + Math.floor(rand() * 86_400_000);
    const resolved = state === '6' || state === '7' ? glideDateTime(updated - 60_000) : '';
    const closed = state === '7' ? glideDateTime(updated) : '';
    const priority = String(1 + Math.floor(rand() * 5));
    const summary = SHORT_DESCRIPTIONS[i % SHORT_DESCRIPTIONS.length];
    incidents.push({
      sys_id: seededSysId(`incident:${i}`),
      sys_created_on: glideDateTime(opened),
      sys_created_by: openedBy['user_name'],
      sys_updated_on: glideDateTime(updated),
      sys_updated_by: admin['user_name'],
      sys_mod_count: String(1 + (i % 4)),
      number: `INC${String(10001 + i).padStart(7, '0')}`,
      short_description: summary,
      description: `${summary}. Reported by ${caller['name']}.`,
      state,
      incident_state: state,
      active: ACTIVE_STATES.has(state) ? 'true' : 'false',
      priority,
      urgency: String(1 + (Number(priority) % 3)),
      impact: String(1 + (i % 3)),
      category: pick(CATEGORIES),
      caller_id: caller['sys_id'],
      opened_by: openedBy['sys_id'],
      assigned_to: state === '1' ? '' : pick(others)['sys_id'],
      opened_at: glideDateTime(opened),
      resolved_at: resolved,
      closed_at: closed,
    });
  }
  return { sys_user: users, incident: incidents };
}
