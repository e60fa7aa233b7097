// What the browser tests share: logging in as a person does, recording what the page exchanged with
// the instance, and answering (and counting) the browser's own login dialogs.
import { expect, Page } from '@playwright/test';

const KB_QUERY =
  'active=true^ORDERBYDESCsys_updated_on^caller_id=javascript:gs.getUserID()^ORopened_by=javascript:gs.getUserID()';
export const LIST_PATH = '/api/now/table/incident';

/** Every response the page got from the instance's REST API and token page, in order. */
interface Exchange {
  method: string;
  path: string;
  status: number;
  token: string | null;
}

export function record(page: Page): Exchange[] {
  const log: Exchange[] = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/api/') || url.pathname === '/user_token.do') {
      log.push({
        method: response.request().method(),
        path: url.pathname,
        status: response.status(),
        token: response.request().headers()['x-usertoken'] ?? null,
      });
    }
  });
  return log;
}

/** The demo user's active incidents as the instance orders them, asked with Basic auth. */
export async function expectedNumbers(
  baseURL: string,
  limit: number,
  offset = 0,
): Promise<string[]> {
  const query = new URLSearchParams({
    sysparm_query: KB_QUERY,
    sysparm_fields: 'number',
    sysparm_limit: String(limit),
    sysparm_offset: String(offset),
  });
  const response = await fetch(`${baseURL}${LIST_PATH}?${query}`, {
    headers: { Authorization: `Basic ${Buffer.from('abel.tuter:demo').toString('base64')}` },
  });
  const body = (await response.json()) as { result: { number: string }[] };
  return body.result.map((r) => r.number);
}

/**
 * A 401 carrying `WWW-Authenticate: BASIC` makes Chromium ask for credentials — the login dialog
 * of the KB — and the request waits for an answer. Answer each prompt with Cancel, as a user
 * would, and count them: the count is how many login dialogs a person would have seen.
 */
export async function answerLoginPrompts(page: Page): Promise<string[]> {
  const prompts: string[] = [];
  const cdp = await page.context().newCDPSession(page);
  cdp.on('Fetch.requestPaused', (event: { requestId: string }) => {
    void cdp.send('Fetch.continueRequest', { requestId: event.requestId }).catch(() => undefined);
  });
  cdp.on('Fetch.authRequired', (event: { requestId: string; request: { url: string } }) => {
    prompts.push(new URL(event.request.url).pathname);
    void cdp
      .send('Fetch.continueWithAuth', {
        requestId: event.requestId,
        authChallengeResponse: { response: 'CancelAuth' },
      })
      .catch(() => undefined);
  });
  await cdp.send('Fetch.enable', {
    handleAuthRequests: true,
    // The REST API and the `.do` calls (the token page, the message bus's session setup).
    patterns: [{ urlPattern: '*/api/*' }, { urlPattern: '*.do*' }],
  });
  return prompts;
}

/** Logs in through the instance's login page; `path` is the app's page (with switches). */
export async function logIn(page: Page, path = '/', user = 'abel.tuter'): Promise<void> {
  await page.goto(path);
  await expect(page).toHaveURL(/\/login\.do/);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill('demo');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByTestId('incidents')).toBeVisible();
  await expect(page.getByTestId('controls')).toBeVisible();
}

export const listNumbers = (page: Page) =>
  page.locator('[data-testid=incidents] td.number').allTextContents();

/** Clicks Reload and waits until the list request has ended (the log shows its outcome). */
export async function reloadList(page: Page): Promise<void> {
  const outcomes = page.locator('[data-testid=log] li.ok, [data-testid=log] li.failure', {
    hasText: '→',
  });
  const before = await outcomes.count();
  await page.getByTestId('reload').click();
  await expect(outcomes).toHaveCount(before + 1);
}

/** Clicks "Log in again" and logs in in the popup it opens; resolves once the popup closed. */
export async function logInAgainInPopup(page: Page, user = 'abel.tuter'): Promise<void> {
  const opened = page.waitForEvent('popup');
  await page.getByTestId('relogin').click();
  const popup = await opened;
  await popup.getByLabel('User name').fill(user);
  await popup.getByLabel('Password').fill('demo');
  const closed = popup.waitForEvent('close');
  await popup.getByRole('button', { name: 'Log in' }).click();
  await closed;
}
