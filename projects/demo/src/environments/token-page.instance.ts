/** The token page the app's ServiceNow SDK package installs (`projects/instance-app`). */
export const TOKEN_PAGE = '/x_ngxut_demo_token.do';
