/**
 * Record-watcher channels, named as ServiceNow's clients name them (read from `amb-client-js`,
 * Service Portal's `spUtil.recordWatch` and ServiceNow's tests): `/rw/default/<table>/<the
 * encoded query in base64, each '=' replaced by '-'>`. One record is the query `sys_id=<id>`.
 * ServiceNow's own example: `/rw/default/incident/T1JERVJCWW51bWJlcg--` (`ORDERBYnumber`).
 */
export const RECORD_CHANNEL_PREFIX = '/rw/default/';

/** The channel that watches the records of `table` matching `query`. */
export function recordChannel(table: string, query: string): string {
  return `${RECORD_CHANNEL_PREFIX}${table}/${Buffer.from(query, 'utf8').toString('base64').replace(/=/g, '-')}`;
}

/** The table and encoded query of a record-watcher channel, or null for any other channel. */
export function parseRecordChannel(channel: string): { table: string; query: string } | null {
  if (!channel.startsWith(RECORD_CHANNEL_PREFIX)) {
    return null;
  }
  // base64 may hold '/', so everything after the table is the query.
  const [table, ...rest] = channel.slice(RECORD_CHANNEL_PREFIX.length).split('/');
  const encoded = rest.join('/').replace(/-/g, '=');
  if (!/^[a-z0-9_]+$/i.test(table) || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
    return null;
  }
  return { table, query: Buffer.from(encoded, 'base64').toString('utf8') };
}

/**
 * faye's channel grammar is stricter than ServiceNow's server: base64 brings `+` and may bring
 * `//`. Inside the mock a record channel goes by a name faye accepts (its hex spelling); clients
 * only ever see the name they subscribed with.
 */
export function internalChannel(channel: string): string {
  return `/rw/hex/${Buffer.from(channel, 'utf8').toString('hex')}`;
}

/** The client's name of a channel named with `internalChannel`. */
export function clientChannel(internal: string): string {
  return internal.startsWith('/rw/hex/')
    ? Buffer.from(internal.slice('/rw/hex/'.length), 'hex').toString('utf8')
    : internal;
}
