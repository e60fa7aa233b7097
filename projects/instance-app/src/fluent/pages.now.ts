import { UiPage } from '@servicenow/sdk/core';

/**
 * The app: a direct UI page (no instance chrome) whose HTML gives the page its session token as
 * `window.g_ck` — rendered by the instance for each request, phase-two Jelly — and loads the
 * Angular build as UX assets. No `<sdk:now-ux-globals>`: it would also load prototype.js, which
 * breaks `Array.from` on iterables in the app. The HTML must be well-formed XML: no doctype,
 * every element closed.
 */
UiPage({
  $id: Now.ID['incidents-page'],
  endpoint: 'x_ngxut_demo_incidents.do',
  description: 'The ngx-user-token demo: my active incidents (KB0565021) in Angular',
  direct: true,
  html: Now.include('./incidents.html'),
});

/**
 * The token page the app's `withTokenPage()` points at: the session token as the whole body. A text-only
 * page must be wrapped in `<j:jelly>` or the SDK drops its HTML; it pretty-prints the record, so the
 * body gains whitespace around the token (the library trims it).
 */
UiPage({
  $id: Now.ID['token-page'],
  endpoint: 'x_ngxut_demo_token.do',
  description: 'The session token, for ngx-user-token (withTokenPage)',
  direct: true,
  html: Now.include('./token.html'),
});

/**
 * The login-complete page of `withReLogin()`: the library's own `login-complete.html`, as shipped
 * in its package (the build copies it here). It hands the new session's token and user to the app's window and closes.
 */
UiPage({
  $id: Now.ID['login-complete-page'],
  endpoint: 'x_ngxut_demo_login_complete.do',
  description: 'Hands a new session to ngx-user-token after a login (withReLogin)',
  direct: true,
  html: Now.include('./login-complete.html'), // copied from the library by now.prebuild.mjs
});
