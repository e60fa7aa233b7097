// The browser's side of a session on the mock instance, for the integration tests (which run in
// the browser-like environment of environment.cjs).

/**
 * Logs in as the demo user and loads the page, as a person would: the page defines
 * `window.g_ck`, which this sets on the test's window too. Returns the token.
 */
export async function logInAndLoadPage(): Promise<string> {
  const login = await fetch('/login.do', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'user_name=abel.tuter&user_password=demo',
    redirect: 'manual',
  });
  if (login.status !== 302) {
    throw new Error(`login failed with ${login.status}`);
  }
  const html = await (await fetch('/')).text();
  const token = /window\.g_ck = "([0-9a-f]+)"/.exec(html)?.[1];
  if (!token) {
    throw new Error('the page defines no window.g_ck');
  }
  (window as unknown as { g_ck?: string }).g_ck = token;
  return token;
}
