/*
 * Public API of ngx-user-token-dev-proxy, for scripts that start the proxy themselves.
 */
export { credentialsFromEnvironment } from './credentials';
export {
  guardOptionsFromFlags,
  isLoopbackHostname,
  refuseUpgrade,
  requestGuard,
} from '../../dev-guard/src/index';
export type { GuardOptions, GuardRefusal, RequestGuard } from '../../dev-guard/src/index';
export { angularProxyConfig, INSTANCE_PATHS } from './proxy-config';
export type { ProxyRoute } from './proxy-config';
export type { RecordedBody, RecordedExchange } from '../../recording-format/src/index';
export { DevProxyOptionError, startDevProxy } from './server';
export type { DevProxy, DevProxyOptions } from './server';
export { InstanceSession, LoginError } from './session';
export type { Credentials } from './session';
