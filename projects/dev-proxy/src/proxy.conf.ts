/**
 * The proxy configuration for `ng serve --proxy-config node_modules/ngx-user-token-dev-proxy/proxy.conf.js`:
 * routes the instance's paths to the dev proxy at SN_DEV_PROXY (default `http://127.0.0.1:4300`),
 * the token page's path from SN_TOKEN_PATH (default `/user_token.do`).
 */
import { angularProxyConfig } from './proxy-config';

export = angularProxyConfig(
  process.env['SN_DEV_PROXY'] ?? 'http://127.0.0.1:4300',
  process.env['SN_TOKEN_PATH'] ?? '/user_token.do',
);
