/*
 * Public API of ngx-user-token-dev-proxy, for scripts that start the proxy themselves.
 */
export { credentialsFromEnvironment } from './credentials';
export { angularProxyConfig, INSTANCE_PATHS } from './proxy-config';
export type { ProxyRoute } from './proxy-config';
export { startDevProxy } from './server';
export type { DevProxy, DevProxyOptions } from './server';
export { InstanceSession, LoginError } from './session';
export type { Credentials } from './session';
