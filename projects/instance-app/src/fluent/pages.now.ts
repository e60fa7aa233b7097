import { UiPage } from '@servicenow/sdk/core';

/**
 * The app: a direct UI page (the instance adds no chrome) at `/x_ngxut_demo_incidents.do`. Its HTML — Jelly,
 * rendered by the instance for each request — gives the page its session token (`window.g_ck`)
 * and its user (`NOW.user_id`, `NOW.user_name`), then loads the Angular build as UX assets, with
 * the SDK's cache buster (`uxpcb`). No `<sdk:now-ux-globals>`: it would also load prototype.js,
 * which breaks `Array.from` on iterables in the app. The HTML must be well-formed XML: no
 * doctype, every element closed. The app's routes travel in the query string
 * (`/x_ngxut_demo_incidents.do?view=…`, `provideUiPageLocation()`).
 *
 * Written by `ng generate ngx-user-token:instance-app`; yours to change.
 */
UiPage({
  $id: Now.ID['app-page'],
  endpoint: 'x_ngxut_demo_incidents.do',
  description: 'My active incidents: the Angular app',
  direct: true,
  html: Now.include('./page.html'),
});

/**
 * The token page the app's `withTokenPage('/x_ngxut_demo_token.do')` reads: the session token as
 * the whole body. A text-only page must be wrapped in `<j:jelly>` or the SDK drops its HTML; the
 * SDK pretty-prints the record, so the body gains whitespace around the token (the library trims it).
 */
UiPage({
  $id: Now.ID['token-page'],
  endpoint: 'x_ngxut_demo_token.do',
  description: 'The session token, for ngx-user-token (withTokenPage)',
  direct: true,
  html: Now.include('./token.html'),
});

/**
 * The login-complete page of `withReLogin({ page: '/x_ngxut_demo_login_complete.do' })`:
 * ngx-user-token's own `login-complete.html`, copied from the installed library by
 * `now.prebuild.mjs`. It hands the new session's token and user to the app's window and closes.
 */
UiPage({
  $id: Now.ID['login-complete-page'],
  endpoint: 'x_ngxut_demo_login_complete.do',
  description: 'Hands a new session to ngx-user-token after a login (withReLogin)',
  direct: true,
  html: Now.include('./login-complete.html'),
});
