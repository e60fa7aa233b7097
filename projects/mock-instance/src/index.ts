/*
 * Public API of the mock instance: start one (in process, or with the command line `cli.ts`),
 * drive it through its control API, read what it counts.
 */
export { createMockInstanceApp, startMockInstance } from './server';
export type { MockInstance, MockInstanceOptions } from './server';
export type { MockInstanceConfig, MockInstanceState, MockInstanceStats } from './instance-state';
export { MockInstanceControlError, mockInstanceControl } from './control-client';
export type {
  MockInstanceControl,
  MockInstanceCounts,
  MockInstanceSwitches,
} from './control-client';
export type { InstallReport } from './apps/installed-apps';
export type { ChallengePolicy, SsoMode } from './session/csrf';
export type { IgnoredAnswer, SessionLimits } from './session/transactions';
export type { RateLimitRule } from './http/rate-limits';
export type { MockRedirect, RedirectStatus } from './http/redirects';
export { recordChannel } from './amb/record-channels';
export type { BusStats, RecordMessage } from './amb/message-bus';

export { DEMO_PASSWORD, LOGIN_USERS } from './data/seed';
export { demoData } from './data/demo-data';
export { InstanceDataError, loadInstanceData, validateInstanceData } from './data/instance-data';
export type {
  AclSpec,
  FieldSpec,
  InstanceData,
  InstanceDataInput,
  OAuthClient,
  TableSpec,
  UserSpec,
} from './data/instance-data';

export { compareRecording } from './compare/compare';
export type { CompareOptions, CompareReport, ExchangeComparison } from './compare/compare';
export { CompareError, readRecording } from './compare/recording';
export type { RecordingEntry } from './compare/recording';
export type { RecordedBody, RecordedExchange } from '../../recording-format/src/index';
