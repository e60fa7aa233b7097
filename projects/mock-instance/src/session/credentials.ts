/**
 * Who may log in, and with what: the users of the data and their password, for the login form,
 * the CLI's login, Basic authentication and OAuth's password grant alike.
 */
import type { Database } from '../data/database';
import type { Row } from '../data/tables';

/** The name and secret an `Authorization: Basic` header carries, or null. */
export function basicCredentials(
  header: string | undefined,
): { name: string; secret: string } | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match) {
    return null;
  }
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { name: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** The user a `Basic` header names with the right password, or null. */
export function basicUser(db: Database, header: string): Row | null {
  const basic = basicCredentials(header);
  return basic && checkPassword(db, basic.name, basic.secret);
}

/** The user who can log in with this name and password (the data gives them one), or null. */
export function checkPassword(db: Database, userName: unknown, password: unknown): Row | null {
  if (typeof userName !== 'string' || userName === '' || typeof password !== 'string') {
    return null;
  }
  const expected = db.credentialsOf(userName)?.password;
  return expected !== undefined && password === expected ? db.findUser(userName) : null;
}
