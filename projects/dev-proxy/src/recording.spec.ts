// What a recorded exchange keeps, and what scrubbing takes out of it, one rule at a time (the
// end-to-end proof that no secret of a real session lands in a file is in record.spec.ts).
import { gzipSync } from 'node:zlib';

import { BODY_CAP } from '../../recording-format/src/index';
import { fileName } from './recorder';
import {
  recordedBody,
  recordedRequestHeaders,
  recordedResponseHeaders,
  Scrubber,
} from './recording';

const INSTANCE = new URL('https://dev12345.service-now.com');
const scrubber = () => new Scrubber(INSTANCE);
const body = (text: string | Buffer, contentType?: string, contentEncoding?: string) => {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  return { head: bytes.subarray(0, BODY_CAP), bytes: bytes.length, contentType, contentEncoding };
};

describe('the scrubber', () => {
  it("replaces the instance's origin, host and name with the placeholder", () => {
    expect(
      scrubber().text(
        'see https://dev12345.service-now.com/api/now/table/incident?x=1 or ' +
          'DEV12345.service-now.com, instance dev12345 (not dev123456)',
      ),
    ).toBe(
      'see https://instance.example/api/now/table/incident?x=1 or instance.example, ' +
        'instance instance (not dev123456)',
    );
    const local = new Scrubber(new URL('http://127.0.0.1:4100'));
    expect(local.text('<http://127.0.0.1:4100/api/now/table/x>; host 127.0.0.1:4100')).toBe(
      '<https://instance.example/api/now/table/x>; host instance.example',
    );
  });

  it('takes g_ck and sysparm_ck out of a page, in any of their usual forms', () => {
    const page = [
      `<script>window.g_ck = "0123abcd"; var g_ck='x\\'y'; NOW = {"g_ck":"zz"}</script>`,
      `<input type="hidden" name="sysparm_ck" value="f00d">`,
      `<input value="beef" id="a" name='sysparm_ck'>`,
    ].join('\n');
    expect(scrubber().text(page)).toBe(
      [
        `<script>window.g_ck = "[scrubbed]"; var g_ck='[scrubbed]'; NOW = {"g_ck":"[scrubbed]"}</script>`,
        `<input type="hidden" name="sysparm_ck" value="[scrubbed]">`,
        `<input value="[scrubbed]" id="a" name='sysparm_ck'>`,
      ].join('\n'),
    );
  });

  it('replaces known secrets wherever they stand, but not short ones that would garble the data', () => {
    const s = scrubber();
    s.addSecrets(['t0k3n-value-1', 'demo']);
    expect(s.text('token t0k3n-value-1, for the demo')).toBe('token [scrubbed], for the demo');
    s.addSecrets(['t0k3n-value-1-longer']);
    expect(s.text('t0k3n-value-1-longer')).toBe('[scrubbed]');
  });

  it('scrubs query and form parameters named as secrets, keeping the others as written', () => {
    expect(
      scrubber().path(
        '/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_ck=abc&user_password=p%40ss' +
          '&access_token=t&api-key=k&flag',
      ),
    ).toBe(
      '/api/now/table/incident?sysparm_query=active%3Dtrue&sysparm_ck=%5Bscrubbed%5D' +
        '&user_password=%5Bscrubbed%5D&access_token=%5Bscrubbed%5D&api-key=%5Bscrubbed%5D&flag',
    );
    expect(
      scrubber().form('grant_type=password&username=ann&password=hunter22&client_secret=s'),
    ).toBe('grant_type=password&username=ann&password=%5Bscrubbed%5D&client_secret=%5Bscrubbed%5D');
  });

  it('scrubs JSON fields named as secrets at any depth, keeping their kind of value', () => {
    expect(
      scrubber().json({
        result: [{ number: 'INC1', password_needs_reset: 'false', sys_mod_count: 3 }],
        auth: { refresh_token: 'r', expires_in: 1800, scopes: ['a', 'b'] },
        oauth: { client_secret: ['x', { deep: 'y' }] },
        link: 'https://dev12345.service-now.com/api/now/table/incident/1',
      }),
    ).toEqual({
      result: [{ number: 'INC1', password_needs_reset: '[scrubbed]', sys_mod_count: 3 }],
      auth: { refresh_token: '[scrubbed]', expires_in: 1800, scopes: ['a', 'b'] },
      oauth: { client_secret: ['[scrubbed]', { deep: '[scrubbed]' }] },
      link: 'https://instance.example/api/now/table/incident/1',
    });
  });
});

describe('recorded headers', () => {
  it("of a request: the session's credentials marked, any other Authorization's scheme kept, the rest left out", () => {
    const headers = {
      accept: 'application/json',
      cookie: 'JSESSIONID=abc',
      'x-usertoken': 'tok',
      authorization: 'Bearer eyJhbGciOi',
      'x-api-key': 'secret',
      'user-agent': 'jest',
      origin: 'http://localhost:4200',
    };
    expect(recordedRequestHeaders(headers, scrubber(), false)).toEqual({
      accept: 'application/json',
      cookie: '[session]',
      'x-usertoken': '[session]',
      authorization: 'Bearer [scrubbed]',
    });
    expect(recordedRequestHeaders(headers, scrubber(), true)['authorization']).toBe('[session]');
  });

  it("of an answer: cookie values, tokens and the instance's host taken out, flags kept", () => {
    expect(
      recordedResponseHeaders(
        {
          'set-cookie': ['JSESSIONID=abc; Path=/; Domain=dev12345.service-now.com', 'x=1'],
          'x-usertoken-response': 'tok',
          'x-usertoken-request': 'old',
          'x-csrf-token': 'c',
          'x-usertoken-allowresubmit': 'true',
          'www-authenticate': 'BASIC realm="Service-now"',
          location: 'https://dev12345.service-now.com/api/now/table/incident/1',
          'x-total-count': '3',
        },
        scrubber(),
      ),
    ).toEqual({
      'set-cookie': ['JSESSIONID=[scrubbed]; Path=/; Domain=instance.example', 'x=[scrubbed]'],
      'x-usertoken-response': '[scrubbed]',
      'x-usertoken-request': '[scrubbed]',
      'x-csrf-token': '[scrubbed]',
      'x-usertoken-allowresubmit': 'true',
      'www-authenticate': 'BASIC realm="Service-now"',
      location: 'https://instance.example/api/now/table/incident/1',
      'x-total-count': '3',
    });
  });
});

describe('recorded bodies', () => {
  it('keeps JSON parsed, text as text, nothing for an empty body', async () => {
    expect(
      await recordedBody(
        body('{"result":{"a":"1"}}', 'application/json;charset=UTF-8'),
        scrubber(),
        'length',
      ),
    ).toEqual({
      type: 'json',
      value: { result: { a: '1' } },
      bytes: 20,
      truncated: false,
    });
    expect(await recordedBody(body('<p>hi</p>', 'text/html'), scrubber(), 'length')).toEqual({
      type: 'text',
      value: '<p>hi</p>',
      bytes: 9,
      truncated: false,
    });
    expect(
      await recordedBody(body('not json', 'application/json'), scrubber(), 'length'),
    ).toMatchObject({
      type: 'text',
      value: 'not json',
    });
    expect(await recordedBody(body(''), scrubber(), 'length')).toBeNull();
  });

  it('undoes a compressed answer before reading it', async () => {
    const gzipped = gzipSync(Buffer.from('{"access_token":"abc","n":1}'));
    expect(
      await recordedBody(body(gzipped, 'application/json', 'gzip'), scrubber(), 'length'),
    ).toEqual({
      type: 'json',
      value: { access_token: '[scrubbed]', n: 1 },
      bytes: gzipped.length,
      truncated: false,
    });
  });

  it('cuts a body past 64 KB and says so; a cut JSON body is kept as text', async () => {
    const big = JSON.stringify({ result: 'x'.repeat(BODY_CAP) });
    const recorded = await recordedBody(body(big, 'application/json'), scrubber(), 'length');
    expect(recorded).toMatchObject({ type: 'text', bytes: big.length, truncated: true });
    expect((recorded as { value: string }).value).toHaveLength(BODY_CAP);
    // Compressed, it is cut after it is undone.
    const gzipped = gzipSync(Buffer.from(big));
    expect(
      await recordedBody(body(gzipped, 'application/json', 'gzip'), scrubber(), 'length'),
    ).toMatchObject({
      type: 'text',
      bytes: gzipped.length,
      truncated: true,
    });
    // A cut never ends inside a character.
    const accents = 'é'.repeat(BODY_CAP); // two bytes each
    const cut = await recordedBody(body(`a${accents}`, 'text/plain'), scrubber(), 'length');
    expect((cut as { value: string }).value).toBe(`a${'é'.repeat(BODY_CAP / 2 - 1)}`);
  });

  it('keeps the bytes of a binary request (for a replay) and only the length of a binary answer', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]);
    expect(await recordedBody(body(png, 'image/png'), scrubber(), 'base64')).toEqual({
      type: 'base64',
      value: png.toString('base64'),
      bytes: 6,
      truncated: false,
    });
    expect(await recordedBody(body(png, 'image/png'), scrubber(), 'length')).toEqual({
      type: 'binary',
      bytes: 6,
      truncated: false,
    });
  });

  it('scrubs a form body by its parameter names', async () => {
    expect(
      await recordedBody(
        body('user_name=ann&user_password=hunter22', 'application/x-www-form-urlencoded'),
        scrubber(),
        'base64',
      ),
    ).toMatchObject({ type: 'text', value: 'user_name=ann&user_password=%5Bscrubbed%5D' });
  });
});

describe('file names', () => {
  it('read as the conversation: place, method, path without its query', () => {
    expect(fileName(1, 'GET', '/api/now/table/incident?sysparm_limit=1')).toBe(
      '0001-GET-api-now-table-incident.json',
    );
    expect(fileName(12345, 'delete', '/')).toBe('12345-DELETE-root.json');
    expect(fileName(2, 'GET', `/api/now/table/incident/${'a'.repeat(32)}/${'b'.repeat(40)}`)).toBe(
      `0002-GET-api-now-table-incident-${'a'.repeat(32)}-bbbb.json`,
    );
    expect(fileName(3, 'GET', '/../../etc/passwd')).toBe('0003-GET-..-..-etc-passwd.json');
  });
});
