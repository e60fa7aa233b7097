// Dot-walks through the access rules: a field reached through a reference reads as the caller may
// read the referenced record, in values and in queries (rows, order, joins).
import { Database } from '../data/database';
import { validateInstanceData } from '../data/instance-data';
import { seededSysId } from '../data/seed';
import { hasFieldIn, readableRows } from '../http/rest';
import type { Caller } from '../session/csrf';
import { allowed, readFieldAs } from './acl';
import { evaluateScripts, parseEncodedQuery } from './encoded-query';

// People's e-mail addresses are readable only for `p1`'s record (and by admin); a ticket is
// readable by anyone, and points at a person, who points at a team (readable by `lead`s only).
const db = new Database(
  () => 0,
  validateInstanceData({
    tables: {
      x_team: { fields: { name: { type: 'string' } } },
      x_person: {
        fields: {
          email: { type: 'string' },
          team: { type: 'reference', reference: 'x_team' },
        },
      },
      x_ticket: {
        fields: {
          title: { type: 'string' },
          person: { type: 'reference', reference: 'x_person' },
        },
      },
      x_badge: { fields: { person: { type: 'reference', reference: 'x_person' } } },
    },
    users: [
      { user_name: 'ann', roles: [] },
      { user_name: 'lea', roles: ['lead'] },
      { user_name: 'root', roles: ['admin'] },
    ],
    records: {
      x_team: [{ name: 'Blue' }],
      x_person: [
        { email: 'p1@example.com', team: seededSysId('x_team:0') },
        { email: 'p2@example.com', team: seededSysId('x_team:0') },
      ],
      x_ticket: [
        { title: 't1', person: seededSysId('x_person:0') },
        { title: 't2', person: seededSysId('x_person:1') },
        { title: 't3', person: '' },
      ],
      x_badge: [{ person: seededSysId('x_person:1') }],
    },
    acls: [
      { table: 'x_ticket', operation: 'read' },
      { table: 'x_person', operation: 'read', condition: 'email=p1@example.com' },
      { table: 'x_person', operation: 'read', roles: ['lead'] },
      { table: 'x_team', operation: 'read', roles: ['lead'] },
      { table: 'x_badge', operation: 'read', condition: 'person.email=p2@example.com' },
    ],
  }),
);
const as = (userName: string): Caller => ({
  sysId: seededSysId(`sys_user:${userName}`),
  userName,
});
const ticket = db.table('x_ticket')!;
const [t1, t2, t3] = db.rows('x_ticket');

/** The titles of the tickets `caller` gets for an encoded query. */
function titles(caller: Caller, query: string): string[] {
  const parsed = evaluateScripts(
    parseEncodedQuery(query, { table: 'x_ticket', hasField: hasFieldIn(db) }),
    { userId: caller.sysId, userName: caller.userName, now: 0 },
  );
  return readableRows(db, ticket, parsed, caller).map((row) => row['title']);
}

describe('a dot-walked field, read as the caller', () => {
  it('is the referenced value where the caller may read the record it reaches', () => {
    expect(readFieldAs(db, as('ann'), ticket, t1, 'person.email')).toBe('p1@example.com');
    expect(readFieldAs(db, as('ann'), ticket, t1, 'title')).toBe('t1');
  });

  it('is empty where the caller may not read the referenced record', () => {
    expect(allowed(db, as('ann'), 'read', ticket, t2)).toBe(true);
    expect(readFieldAs(db, as('ann'), ticket, t2, 'person.email')).toBe('');
    expect(readFieldAs(db, as('ann'), ticket, t2, 'person')).toBe(seededSysId('x_person:1'));
    expect(readFieldAs(db, as('lea'), ticket, t2, 'person.email')).toBe('p2@example.com');
    expect(readFieldAs(db, as('root'), ticket, t2, 'person.email')).toBe('p2@example.com');
  });

  it('checks every record on the way, two levels deep', () => {
    // Ann may read p1, not p1's team.
    expect(readFieldAs(db, as('ann'), ticket, t1, 'person.team')).toBe(seededSysId('x_team:0'));
    expect(readFieldAs(db, as('ann'), ticket, t1, 'person.team.name')).toBe('');
    expect(readFieldAs(db, as('lea'), ticket, t1, 'person.team.name')).toBe('Blue');
  });

  it('is empty for an empty reference, whoever reads it', () => {
    expect(readFieldAs(db, as('root'), ticket, t3, 'person.email')).toBe('');
  });
});

describe('a query on a dot-walked field', () => {
  it('never matches a value the caller may not read', () => {
    expect(titles(as('ann'), 'person.email=p2@example.com')).toEqual([]);
    expect(titles(as('ann'), 'person.emailLIKEexample')).toEqual(['t1']);
    expect(titles(as('ann'), 'person.emailSTARTSWITHp2')).toEqual([]);
    expect(titles(as('lea'), 'person.emailSTARTSWITHp2')).toEqual(['t2']);
  });

  it('reads it as empty, as the caller is shown it', () => {
    expect(titles(as('ann'), 'person.emailISEMPTY')).toEqual(['t2', 't3']);
    expect(titles(as('lea'), 'person.emailISEMPTY')).toEqual(['t3']);
    expect(titles(as('ann'), 'person.team.name=Blue')).toEqual([]);
    expect(titles(as('lea'), 'person.team.name=Blue')).toEqual(['t1', 't2']);
  });

  it('orders by what the caller may read, not by the hidden value', () => {
    expect(titles(as('lea'), 'ORDERBYDESCperson.email')).toEqual(['t2', 't1', 't3']);
    // For Ann t2's e-mail is as empty as t3's: the stable order keeps them as stored.
    expect(titles(as('ann'), 'ORDERBYDESCperson.email')).toEqual(['t1', 't2', 't3']);
  });

  it('applies inside joins too', () => {
    expect(titles(as('ann'), 'JOINx_ticket.person=x_person.sys_id!team.name=Blue')).toEqual([]);
    expect(titles(as('lea'), 'JOINx_ticket.person=x_person.sys_id!team.name=Blue')).toEqual([
      't1',
      't2',
    ]);
  });

  it('leaves an access rule’s own condition to the system, dot-walks included', () => {
    // The badge's rule reads p2's e-mail, which Ann may not read: the rule still sees it.
    const badge = db.table('x_badge')!;
    expect(allowed(db, as('ann'), 'read', badge, db.rows('x_badge')[0])).toBe(true);
    expect(readFieldAs(db, as('ann'), badge, db.rows('x_badge')[0], 'person.email')).toBe('');
  });
});
