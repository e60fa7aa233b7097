/**
 * Where the app's token page and login-complete page are: the mock instance's (and the dev
 * proxy's) `/user_token.do` and `/ngx_user_token_login_complete.do`. The `instance` build
 * replaces this file with `token-page.instance.ts`: the pages the ServiceNow SDK project
 * (`projects/instance-app`) installs on the instance.
 */
export const TOKEN_PAGE = '/user_token.do';

/** The page `withReLogin` opens to log in again (see `login-complete.html` in the library). */
export const LOGIN_COMPLETE_PAGE = '/ngx_user_token_login_complete.do';
