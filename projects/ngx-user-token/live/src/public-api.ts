/*
 * ngx-user-token/live: record watchers over ServiceNow's message bus (AMB).
 */
export { recordWatcherChannel } from './channels';
export type { RecordChange, RecordField } from './record-change';
export {
  latestRecordChange,
  provideRecordWatcher,
  RecordWatcher,
  RecordWatchError,
  watchRecords,
} from './watcher';
export type { RecordWatcherOptions, RecordWatcherState } from './watcher';
export { provideRecordWatcherTesting, RecordWatcherTesting } from './testing';
export type { RecordMessageData } from './testing';
