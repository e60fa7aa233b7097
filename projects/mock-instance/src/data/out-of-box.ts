/**
 * The fields of `task` and `incident` as an instance returns them out of the box, for data that
 * declares those tables (the demo's does): 69 on a task, 92 on an incident.
 *
 * Sources, all records answered by real instances through the Table API:
 * - the incidents and the request (`sc_request`, a task too) recorded in Swimlane's ServiceNow
 *   connector docs (`swimlane/techpubs-knowledgecenter`, `docs/Connectors/ServiceNow/Actions/`
 *   `create_incident.md`, `get_all_incidents.md`, `update_table_row.md`, `create_request.md`;
 *   developer instances, 2022–2024): 92 fields per incident, every one of them in each recording.
 *   The task's fields are those the incident and the request share; the incident's own are the
 *   rest;
 * - the defaults are what `create_incident.md`'s 201 shows for an incident created with nothing
 *   but its description (a task's `active`, `approval`, `upon_approval`, ...; an incident's
 *   `priority` 5, `impact`/`urgency`/`severity` 3, `notify` 1, `category` inquiry, ...);
 * - the choice labels are only those `update_table_row.md` shows with `sysparm_display_value=true`
 *   (`approval` "Not Yet Requested", `escalation` "Normal", ...); other values display as
 *   themselves here.
 *
 * A problem recorded on an older release (`get_table.md`, 2016) also had `rejection_goto` and
 * `wf_activity` and lacked `contract`, `calendar_stc`, `route_reason`, `service_offering`,
 * `task_effective_number` and `universal_request`: the mock follows the newer recordings.
 * The types of fields that are empty in every recording (`hold_reason`, `route_reason`, ...)
 * and the tables the empty references point to are the mock's reading of a base instance's
 * dictionary (unverified); durations and lists are text here.
 */
import type { FieldSpec } from './tables';

type Fields = Readonly<Record<string, FieldSpec>>;

const text: FieldSpec = { type: 'string' };
const dateTime: FieldSpec = { type: 'glide_date_time' };
const journal: FieldSpec = { type: 'journal' };
const user: FieldSpec = { type: 'reference', reference: 'sys_user' };
const count: FieldSpec = { type: 'integer', default: '0' };

/** The fields `task` adds to every record's (`sys_id`, `sys_created_on`, ... `sys_tags`). */
export const TASK_FIELDS: Fields = {
  number: { type: 'string', readOnly: true },
  task_effective_number: { type: 'string', readOnly: true },
  short_description: text,
  description: text,
  // What a task's state labels are is unverified; an incident has its own (the demo's).
  state: { type: 'integer' },
  active: { type: 'boolean', default: 'true' },
  priority: text,
  impact: text,
  urgency: text,
  approval: {
    type: 'choice',
    choices: { 'not requested': 'Not Yet Requested' },
    default: 'not requested',
  },
  approval_history: journal,
  approval_set: dateTime,
  upon_approval: {
    type: 'choice',
    choices: { proceed: 'Proceed to Next Task' },
    default: 'proceed',
  },
  upon_reject: {
    type: 'choice',
    choices: { cancel: 'Cancel all future Tasks' },
    default: 'cancel',
  },
  escalation: { type: 'choice', choices: { '0': 'Normal' }, default: '0' },
  contact_type: { type: 'choice', choices: { 'self-service': 'Self-service' } },
  made_sla: { type: 'boolean', default: 'true' },
  knowledge: { type: 'boolean', default: 'false' },
  order: { type: 'integer' },
  reassignment_count: count,
  opened_at: dateTime,
  opened_by: user,
  assigned_to: user,
  closed_at: dateTime,
  closed_by: user,
  close_notes: text,
  assignment_group: { type: 'reference', reference: 'sys_user_group' },
  additional_assignee_list: text,
  group_list: text,
  watch_list: text,
  work_notes_list: text,
  comments: journal,
  work_notes: journal,
  comments_and_work_notes: journal,
  activity_due: dateTime,
  due_date: dateTime,
  expected_start: dateTime,
  follow_up: dateTime,
  sla_due: dateTime,
  work_start: dateTime,
  work_end: dateTime,
  business_duration: text,
  calendar_duration: text,
  calendar_stc: { type: 'integer' },
  time_worked: text,
  cmdb_ci: { type: 'reference', reference: 'cmdb_ci' },
  business_service: { type: 'reference', reference: 'cmdb_ci_service' },
  service_offering: { type: 'reference', reference: 'service_offering' },
  company: { type: 'reference', reference: 'core_company' },
  location: { type: 'reference', reference: 'cmn_location' },
  contract: { type: 'reference', reference: 'ast_contract' },
  delivery_plan: { type: 'reference', reference: 'sc_cat_item_delivery_plan' },
  delivery_task: { type: 'reference', reference: 'sc_cat_item_delivery_task' },
  parent: { type: 'reference', reference: 'task' },
  universal_request: { type: 'reference', reference: 'task' },
  correlation_id: text,
  correlation_display: text,
  route_reason: text,
  user_input: text,
  sys_domain: { type: 'reference', reference: 'sys_user_group', default: 'global' },
  sys_domain_path: { type: 'string', default: '/' },
  // Its value names the record's table (the database fills it in); its label, the table's.
  sys_class_name: { type: 'choice', choices: { task: 'Task' }, readOnly: true },
};

/**
 * The fields an incident has beyond its task's. `state`, `impact`, `urgency` and `priority` are
 * the task's, with the incident's choices (the data declaring `incident` gives their labels).
 */
export const INCIDENT_FIELDS: Fields = {
  caller_id: user,
  category: { type: 'string', default: 'inquiry' },
  subcategory: { type: 'choice', choices: { email: 'Email' } },
  incident_state: text,
  severity: { type: 'choice', choices: { '3': '3 - Low' }, default: '3' },
  notify: { type: 'choice', choices: { '1': 'Do Not Notify' }, default: '1' },
  hold_reason: text,
  close_code: text,
  resolved_at: dateTime,
  resolved_by: user,
  reopened_by: user,
  reopened_time: dateTime,
  reopen_count: count,
  child_incidents: count,
  parent_incident: { type: 'reference', reference: 'incident' },
  problem_id: { type: 'reference', reference: 'problem' },
  rfc: { type: 'reference', reference: 'change_request' },
  caused_by: { type: 'reference', reference: 'change_request' },
  business_impact: text,
  business_stc: { type: 'integer' },
  cause: text,
  origin_id: text,
  origin_table: text,
  sys_class_name: { type: 'choice', choices: { incident: 'Incident' }, readOnly: true },
};
