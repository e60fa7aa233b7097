/**
 * Where the app's token page is: the mock instance's (and the dev proxy's) `/user_token.do`. The
 * `instance` build replaces this file with `token-page.instance.ts`: the token page the ServiceNow
 * SDK project (`projects/instance-app`) installs on the instance.
 */
export const TOKEN_PAGE = '/user_token.do';
