/*
 * Public API of ngx-user-token.
 */
export { SKIP_TOKEN_REFRESH, SKIP_USER_TOKEN, USER_WAITING } from './lib/context';
export { UserTokenRefreshError } from './lib/errors';
export type { UserTokenRefreshFailure } from './lib/errors';
export { UserTokenEvents } from './lib/events';
// For the package's own entry points (`ngx-user-token/live`); not part of the public API.
export {
  addSinkListener as ɵaddSinkListener,
  USER_TOKEN_EVENT_SINK as ɵUSER_TOKEN_EVENT_SINK,
} from './lib/events';
export { USER_TOKEN_REFRESHER as ɵUSER_TOKEN_REFRESHER } from './lib/refresher';
export type {
  RateLimitedEvent,
  ReloginEndedEvent,
  RefreshFailedEvent,
  RefreshStartedEvent,
  RequestIgnoredEvent,
  RequestQueuedEvent,
  RequestRetriedEvent,
  RetrySkippedEvent,
  SessionExpiredEvent,
  TokenRefreshedEvent,
  TokenRejectedEvent,
  TokenWithheldEvent,
  UserTokenEvent,
} from './lib/events';
export {
  UserTokenInterceptor,
  userTokenInterceptor,
  userTokenOriginGuard,
} from './lib/interceptor';
export { maskUserToken } from './lib/mask';
export type { UserTokenOptions } from './lib/options';
export { PageUser } from './lib/page-user';
export type { PageUserInfo } from './lib/user-lookup';
export { provideUserToken, withUserTokenOptions } from './lib/provider';
export type { UserTokenFeature, UserTokenFeatureKind } from './lib/provider';
export { withReLogin } from './lib/relogin';
export { UserTokenSession } from './lib/session';
export type { LoginCompleteMessage, ReLoginOptions } from './lib/relogin';
export type { UserTokenReloginResult, UserTokenSessionState } from './lib/session';
export { retryWithFreshToken } from './lib/retry';
export { withCrossTabSync } from './lib/tab-sync';
export { withTokenPage } from './lib/token-page';
export type { RetryWithFreshTokenOptions } from './lib/retry';
export { UserTokenSource, WindowUserTokenSource } from './lib/token-source';
export type { RefreshedUserToken, UserTokenRejection } from './lib/token-source';
