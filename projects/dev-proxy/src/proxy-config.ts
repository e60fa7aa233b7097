/**
 * The Angular CLI proxy configuration (`ng serve --proxy-config`) that sends everything an app on
 * an instance calls to the dev proxy: the REST API, processors and pages (`*.do`), the AMB
 * WebSocket, and the instance's scripts and UX assets. The app's own files stay with `ng serve`.
 */
export interface ProxyRoute {
  readonly target: string;
  readonly secure: boolean;
  readonly changeOrigin: boolean;
  readonly ws?: boolean;
}

/**
 * Paths routed to the instance: prefixes, and a pattern (a key starting with `^` is a regular
 * expression for Angular's dev server) for every `.do` page or processor, query string or not.
 */
export const INSTANCE_PATHS = [
  '/api',
  '/amb',
  '/scripts',
  '/uxasset',
  '/uxta',
  '^/[^?#]*\\.do(?:[?#].*)?$',
] as const;

export function angularProxyConfig(
  proxyUrl: string,
  tokenPath = '/user_token.do',
): Record<string, ProxyRoute> {
  const route: ProxyRoute = { target: proxyUrl, secure: false, changeOrigin: false };
  const config: Record<string, ProxyRoute> = {};
  for (const path of [tokenPath, ...INSTANCE_PATHS]) {
    config[path] = path === '/amb' ? { ...route, ws: true } : route;
  }
  return config;
}
