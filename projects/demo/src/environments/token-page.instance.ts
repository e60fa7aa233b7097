/** The token page the app's ServiceNow SDK package installs (`projects/instance-app`). */
export const TOKEN_PAGE = '/x_ngxut_demo_token.do';

/** The login-complete page the same package installs, for `withReLogin`. */
export const LOGIN_COMPLETE_PAGE = '/x_ngxut_demo_login_complete.do';
