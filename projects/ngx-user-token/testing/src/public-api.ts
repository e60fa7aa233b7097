/*
 * Public API of ngx-user-token/testing.
 */
export { FakeUserTokenSource } from './fake-token-source';
export { fakeLoginWindows } from './login-window';
export type { FakeLoginWindow, FakeLoginWindows } from './login-window';
export {
  expectOneWithToken,
  flushPageUserQuestion,
  flushSessionEndedLoginPage,
  flushUserTokenRejection,
  USER_TOKEN_REJECTION_BODY,
} from './http-testing';
export type { UserTokenRejectionOptions } from './http-testing';
export { provideUserTokenTesting } from './provider';
export type { UserTokenTestingOptions } from './provider';
