import {
  compareValues,
  DYNAMIC_ME,
  evaluateScripts,
  FieldReader,
  matchesQuery,
  parseEncodedQuery,
  sortByQuery,
  UnsupportedQuery,
} from './encoded-query';
import { UnsupportedScript } from './glide-script';

const CURRENT_USER = 'javascript:gs.getUserID()';
/** 2026-01-07 15:30:00 UTC: "now" for the date helpers. */
const NOW = Date.UTC(2026, 0, 7, 15, 30, 0);

type Rec = Record<string, string>;
const RECORDS: Rec[] = [
  {
    number: 'INC1',
    state: '1',
    priority: '1',
    short_description: 'Email down',
    caller_id: 'abel',
    opened_by: 'beth',
    closed_at: '',
    opened_at: '2026-01-05 08:00:00',
  },
  {
    number: 'INC2',
    state: '2',
    priority: '3',
    short_description: 'VPN drops',
    caller_id: 'beth',
    opened_by: 'abel',
    closed_at: '',
    opened_at: '2026-01-06 09:30:00',
  },
  {
    number: 'INC3',
    state: '7',
    priority: '10',
    short_description: 'Printer jam',
    caller_id: 'carl',
    opened_by: 'carl',
    closed_at: '2026-02-01 10:00:00',
    opened_at: '2026-01-07 12:00:00',
  },
  {
    number: 'PRB4',
    state: '6',
    priority: '2',
    short_description: 'email relay',
    caller_id: 'beth',
    opened_by: 'beth',
    closed_at: '',
    opened_at: '2026-01-08 00:00:00',
  },
];

/** Numbers of the records matching `query`, in their order after sorting. */
function run(query: string, user = 'abel'): string[] {
  const parsed = evaluateScripts(
    parseEncodedQuery(query, (f) => f in RECORDS[0]),
    { userId: user, userName: user, now: NOW },
  );
  const matched = RECORDS.filter((r) => matchesQuery(parsed, (f) => r[f] ?? ''));
  return sortByQuery(matched, parsed, (r) => (f) => r[f] ?? '').map((r) => r['number']);
}

describe('encoded query', () => {
  it.each<[string, string[]]>([
    ['', ['INC1', 'INC2', 'INC3', 'PRB4']],
    ['state=1', ['INC1']],
    ['state!=1', ['INC2', 'INC3', 'PRB4']],
    ['short_descriptionLIKEmail', ['INC1', 'PRB4']],
    // Text compares case-insensitively, as an instance's database compares it.
    ['short_descriptionLIKEEmail', ['INC1', 'PRB4']],
    ['short_descriptionLIKEVPN', ['INC2']],
    ['short_description=EMAIL DOWN', ['INC1']],
    ['short_description!=email down', ['INC2', 'INC3', 'PRB4']],
    ['numberSTARTSWITHinc', ['INC1', 'INC2', 'INC3']],
    ['short_descriptionENDSWITHDROPS', ['INC2']],
    ['numberINinc1,Prb4', ['INC1', 'PRB4']],
    ['numberNOT INinc1,Prb4', ['INC2', 'INC3']],
    // The docs' other spellings of contains, does not contain and ends with.
    ['short_descriptionCONTAINSemail', ['INC1', 'PRB4']],
    ['short_description*email', ['INC1', 'PRB4']],
    ['short_descriptionDOES NOT CONTAINemail', ['INC2', 'INC3']],
    ['short_description!*email', ['INC2', 'INC3']],
    ['short_description%jam', ['INC3']],
    ['closed_atANYTHING', ['INC1', 'INC2', 'INC3', 'PRB4']],
    ['closed_atEMPTYSTRING', ['INC1', 'INC2', 'PRB4']],
    ['caller_idSAMEASopened_by', ['INC3', 'PRB4']],
    ['caller_idNSAMEASopened_by', ['INC1', 'INC2']],
    ['opened_atSAMEASclosed_at@day', []],
    ['opened_atNSAMEASclosed_at@day', ['INC1', 'INC2', 'INC3', 'PRB4']],
    ['priorityGT_FIELDstate', ['INC2', 'INC3']],
    ['priorityLT_FIELDstate', ['PRB4']],
    ['priorityGT_OR_EQUALS_FIELDstate', ['INC1', 'INC2', 'INC3']],
    ['priorityLT_OR_EQUALS_FIELDstate', ['INC1', 'PRB4']],
    // opened 2026-01-07 12:00, closed 2026-02-01 10:00: 24.9 days before it was closed.
    ['opened_atMORETHANclosed_at@day@before@20', ['INC3']],
    ['opened_atMORETHANclosed_at@day@before@30', []],
    ['opened_atLESSTHANclosed_at@day@before@30', ['INC3']],
    ['opened_atNOTONYesterday@2026-01-06 00:00:00@2026-01-06 23:59:59', ['INC1', 'INC3', 'PRB4']],
    ['short_descriptionNOT LIKEmail', ['INC2', 'INC3']],
    ['numberSTARTSWITHINC', ['INC1', 'INC2', 'INC3']],
    ['short_descriptionENDSWITHdrops', ['INC2']],
    ['stateIN1,2,6', ['INC1', 'INC2', 'PRB4']],
    ['stateNOT IN1,2,6', ['INC3']],
    ['closed_atISEMPTY', ['INC1', 'INC2', 'PRB4']],
    ['closed_atISNOTEMPTY', ['INC3']],
    ['priority<3', ['INC1', 'PRB4']],
    ['priority<=3', ['INC1', 'INC2', 'PRB4']],
    ['priority>3', ['INC3']],
    ['priority>=3', ['INC2', 'INC3']],
    ['priorityBETWEEN2@3', ['INC2', 'PRB4']],
    ['opened_at>2026-01-06 12:00:00', ['INC3', 'PRB4']],
    ['opened_atBETWEEN2026-01-06 00:00:00@2026-01-07 23:59:59', ['INC2', 'INC3']],
    ['state=1^priority=1', ['INC1']],
    ['state=1^priority=3', []],
    ['state=1^ORstate=2', ['INC1', 'INC2']],
    ['numberSTARTSWITHINC^state=7^ORpriority=1', ['INC1', 'INC3']],
    ['state=1^NQstate=7', ['INC1', 'INC3']],
    ['state=1^priority=3^NQnumber=PRB4', ['PRB4']],
    ['ORDERBYDESCopened_at', ['PRB4', 'INC3', 'INC2', 'INC1']],
    ['ORDERBYpriority', ['INC1', 'PRB4', 'INC2', 'INC3']],
    ['ORDERBYcaller_id^ORDERBYDESCnumber', ['INC1', 'PRB4', 'INC2', 'INC3']],
    ['stateIN1,2^ORDERBYDESCnumber^EQ', ['INC2', 'INC1']],
    [`caller_id=${CURRENT_USER}^ORopened_by=${CURRENT_USER}`, ['INC1', 'INC2']],
  ])('%j matches %j', (query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it('substitutes the calling user for javascript:gs.getUserID()', () => {
    expect(run(`caller_id=${CURRENT_USER}`, 'beth')).toEqual(['INC2', 'PRB4']);
    expect(run(`caller_id=${CURRENT_USER}`, 'nobody')).toEqual([]);
  });

  it('reads the KB query as active AND (caller OR opener), ordered by update', () => {
    const parsed = parseEncodedQuery(
      'active=true^ORDERBYDESCsys_updated_on^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()',
    );
    expect(parsed.queries).toEqual([
      [
        [{ field: 'active', operator: '=', value: 'true' }],
        [
          { field: 'caller_id', operator: '=', value: CURRENT_USER },
          { field: 'opened_by', operator: '=', value: CURRENT_USER },
        ],
      ],
    ]);
    expect(parsed.orderBy).toEqual([{ field: 'sys_updated_on', descending: true }]);
  });

  it('keeps ^^ as a literal caret', () => {
    const parsed = parseEncodedQuery('short_description=a^^b^state=1');
    expect(parsed.queries[0]).toEqual([
      [{ field: 'short_description', operator: '=', value: 'a^b' }],
      [{ field: 'state', operator: '=', value: '1' }],
    ]);
  });

  it.each([
    ['no operator', 'state'],
    ['unknown field', 'colour=red'],
    ['uppercase field', 'STATE=1'],
    ['ISEMPTY with a value', 'closed_atISEMPTYx'],
    ['BETWEEN without @', 'priorityBETWEEN2'],
    ['ORDERBY an unknown field', 'ORDERBYcolour'],
    ['garbage', '%%%^^^==='],
  ])('ignores an invalid condition (%s) and keeps the rest', (_, bad) => {
    const parsed = parseEncodedQuery(`${bad}^state=1`, (f) => f in RECORDS[0]);
    expect(parsed.ignored.length).toBeGreaterThan(0);
    expect(run(`${bad}^state=1`)).toEqual(['INC1']);
  });

  it('compares numbers as numbers and everything else as text', () => {
    expect(compareValues('10', '9')).toBeGreaterThan(0);
    expect(compareValues('a10', 'a9')).toBeLessThan(0);
    expect(compareValues('2026-01-06 00:00:00', '2026-01-05 23:59:59')).toBeGreaterThan(0);
  });

  it('never throws on random input', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const alphabet = 'ab_.=!<>^@,NQORDERBYDESCLIKEINISEMPTY 1';
    for (let i = 0; i < 2000; i++) {
      const length = next() % 40;
      const query = Array.from({ length }, () => alphabet[next() % alphabet.length]).join('');
      expect(() => run(query)).not.toThrow();
    }
  });
});

describe('operators evaluated against the clock and the caller', () => {
  it.each<[string, string[]]>([
    // now is 2026-01-07 15:30: 4 hours ago is 11:30.
    ['opened_atRELATIVEGT@hour@ago@4', ['INC3', 'PRB4']],
    ['opened_atRELATIVELT@hour@ago@4', ['INC1', 'INC2']],
    ['opened_atRELATIVEGT@day@ahead@1', []],
    [`caller_idDYNAMIC${DYNAMIC_ME}`, ['INC1']],
  ])('%j matches %j', (query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it('refuses a dynamic filter other than "Me", naming it', () => {
    expect(() => run('caller_idDYNAMIC0123456789abcdef0123456789abcdef')).toThrow(
      /only the dynamic filter "Me"/,
    );
  });
});

describe('operators this mock does not evaluate', () => {
  it.each([
    ["sla_dueDATEPARTMonday@javascript:gs.datePart('dayofweek','monday','GE')", /DATEPART/],
    ['stateVALCHANGES', /a record being updated/],
    ['stateCHANGESFROM4', /a record being updated/],
    ['stateCHANGESTO4', /a record being updated/],
    ['sys_tags.abcDOESNOTHAVEabc', /tag operators/],
    ['123TEXTQUERY321=email', /text search/],
    ['SUBQUERYsys_id,user,sys_user_grmember^EQ^ENDSUBQUERY', /SUBQUERY/],
  ])('%s is a 400 that names it, never a silently wrong list', (query, reason) => {
    expect(() => run(query)).toThrow(UnsupportedQuery);
    expect(() => run(query)).toThrow(reason);
  });
});

describe('JOIN and RLQUERY', () => {
  // Problems, and the incidents that point at them.
  const PROBLEMS: Rec[] = [
    { sys_id: 'p1', number: 'PRB1', active: 'true' },
    { sys_id: 'p2', number: 'PRB2', active: 'false' },
    { sys_id: 'p3', number: 'PRB3', active: 'true' },
  ];
  const INCIDENTS: Rec[] = [
    { sys_id: 'i1', problem_id: 'p1', priority: '1' },
    { sys_id: 'i2', problem_id: 'p1', priority: '3' },
    { sys_id: 'i3', problem_id: 'p2', priority: '1' },
  ];
  const TABLES: Record<string, Rec[]> = { problem: PROBLEMS, incident: INCIDENTS };
  const schema = {
    table: 'problem',
    hasField: (table: string, field: string) =>
      Object.hasOwn(TABLES, table) && field in TABLES[table][0],
  };
  const readers = (table: string): FieldReader[] =>
    (TABLES[table] ?? []).map((r) => (f: string) => r[f] ?? '');
  const problems = (query: string) => {
    const parsed = parseEncodedQuery(query, schema);
    return PROBLEMS.filter((p) => matchesQuery(parsed, (f) => p[f] ?? '', readers)).map(
      (p) => p['number'],
    );
  };

  it.each<[string, string[]]>([
    ['RLQUERYincident.problem_id,>=1^ENDRLQUERY', ['PRB1', 'PRB2']],
    ['RLQUERYincident.problem_id,>=2^ENDRLQUERY', ['PRB1']],
    ['RLQUERYincident.problem_id,=0^ENDRLQUERY', ['PRB3']],
    ['RLQUERYincident.problem_id,>=1,priority=1^ENDRLQUERY', ['PRB1', 'PRB2']],
    ['active=true^RLQUERYincident.problem_id,>=1,priority=1^ENDRLQUERY', ['PRB1']],
    ['RLQUERYincident.problem_id,>=1,priority=1^priority=3^ENDRLQUERY', []],
    // As ServiceNow's PySNC writes a join: `!` even with no conditions.
    ['JOINproblem.sys_id=incident.problem_id!', ['PRB1', 'PRB2']],
    ['JOINproblem.sys_id=incident.problem_id!priority=3', ['PRB1']],
    ['active=true^JOINproblem.sys_id=incident.problem_id!priority=1', ['PRB1']],
  ])('%j matches %j', (query, expected) => {
    expect(problems(query)).toEqual(expected);
  });

  it.each([
    ['JOINproblem.sys_id=nowhere.problem_id!', /no field problem_id on nowhere/],
    ['JOINproblem.sys_id=incident.problem_id', /must read JOIN/],
    ['RLQUERYincident.colour,>=1^ENDRLQUERY', /no field colour on incident/],
    ['RLQUERYincident.problem_id,~1^ENDRLQUERY', /must read RLQUERY/],
  ])('drops the malformed %j, saying why, and keeps the rest', (query, reason) => {
    const parsed = parseEncodedQuery(`${query}^active=true`, schema);
    expect(parsed.ignored.map((i) => i.reason)).toEqual([expect.stringMatching(reason)]);
  });
});

describe('javascript: values', () => {
  it.each([
    ["opened_at>=javascript:gs.dateGenerate('2026-01-06','00:00:00')", ['INC2', 'INC3', 'PRB4']],
    ["opened_at>=javascript:gs.dateGenerate('2026-01-06 09:30:00')", ['INC2', 'INC3', 'PRB4']],
    ["opened_at>javascript:gs.dateGenerate('2026-01-06 09:30:00')", ['INC3', 'PRB4']],
    ["opened_at<javascript:gs.dateGenerate('2026-01-06','end')", ['INC1', 'INC2']],
    [
      "opened_atBETWEENjavascript:gs.dateGenerate('2026-01-06','start')@javascript:gs.dateGenerate('2026-01-07','end')",
      ['INC2', 'INC3'],
    ],
    ['opened_at>=javascript:gs.daysAgoStart(1)', ['INC2', 'INC3', 'PRB4']],
    ['opened_at>=javascript:gs.daysAgoStart(0)', ['INC3', 'PRB4']],
    ['opened_at>=javascript:gs.daysAgo(1)', ['INC3', 'PRB4']],
    ['opened_at<=javascript:gs.daysAgoEnd(2)', ['INC1']],
    ['opened_at>=javascript:gs.beginningOfToday()^opened_at<=javascript:gs.endOfToday()', ['INC3']],
    [
      'opened_atONYesterday@javascript:gs.beginningOfYesterday()@javascript:gs.endOfYesterday()',
      ['INC2'],
    ],
    ['opened_at>=javascript:gs.hoursAgoStart(4)', ['INC3', 'PRB4']],
    ['opened_at>=javascript:gs.hoursAgoStart(2)', ['PRB4']],
    ['opened_at>=javascript:gs.minutesAgoStart(210)', ['INC3', 'PRB4']],
    [
      'opened_at>=javascript:gs.beginningOfThisMonth()^opened_at<=javascript:gs.endOfThisMonth()',
      ['INC1', 'INC2', 'INC3', 'PRB4'],
    ],
    ['closed_at<=javascript:gs.endOfLastMonth()', []],
    [`caller_id=${CURRENT_USER}`, ['INC1']],
    ['caller_id=javascript:gs.getUserName()', ['INC1']],
  ])('%s', (query, expected) => {
    expect(run(query)).toEqual(expected);
  });

  it.each([
    'javascript:gs.getUser().getID()',
    'javascript:new GlideDateTime().getValue()',
    "javascript:gs.dateGenerate('2026-13-45','00:00:00')",
    'javascript:gs.daysAgo()',
    'javascript:gs.daysAgo(1.5)',
    'javascript:gs.daysAgoStart("x")',
    'javascript:gs.hasRole("admin")',
    'javascript:gs.daysAgo(1);gs.sleep(1000)',
    'javascript:constructor.constructor("return process")()',
    'javascript:gs.daysAgo(99999999999999999)',
    'javascript:gs.minutesAgoStart(-99999999999999)',
    "javascript:gs.dateGenerate('2026-02-30','00:00:00')",
    "javascript:gs.dateGenerate('2026-01-01','25:00:00')",
    "javascript:gs.dateGenerate('2026-01-01')",
    "javascript:gs.dateGenerate('2026-01-01 24:00:00')",
    "javascript:gs.dateGenerate('2026-01-01 10:00:00','end')",
  ])('refuses %s with a clear error rather than a silently wrong answer', (value) => {
    expect(() => run(`opened_at>=${value}`)).toThrow(UnsupportedScript);
    expect(() => run(`opened_at>=${value}`)).toThrow(value);
  });
});
