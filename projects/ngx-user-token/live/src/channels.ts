/**
 * Record-watcher channels, named as ServiceNow's clients name them (`amb-client-js` 20.0.3 and
 * Service Portal's `spUtil.recordWatch`): `/rw/default/<table>/<the encoded query in base64,
 * each '=' replaced by '-'>`. The AngularJS client first drops `^EQ` and the `ORDERBY` terms,
 * which do not change which records match; so does this one.
 */
const ORDER_TERMS = /\^?(?:ORDERBY|ORDERBYDESC|GROUPBY)[^^]*|\^EQ$/g;

/** The encoded query a channel watches: `query` without its ordering terms (unless that is all it has). */
export function watchedQuery(query: string): string {
  return query.replace(ORDER_TERMS, '').replace(/^\^/, '') || query;
}

/** The record-watcher channel for the records of `table` that match `query` (an encoded query). */
export function recordWatcherChannel(table: string, query = ''): string {
  if (!/^[a-z0-9_]+$/i.test(table)) {
    throw new TypeError(
      `ngx-user-token/live: the table name must be letters, digits and underscores; got ${JSON.stringify(table)}`,
    );
  }
  let binary = '';
  for (const byte of new TextEncoder().encode(watchedQuery(query))) {
    binary += String.fromCharCode(byte);
  }
  return `/rw/default/${table}/${btoa(binary).replace(/=/g, '-')}`;
}
