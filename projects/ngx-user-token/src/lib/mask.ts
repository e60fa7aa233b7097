/**
 * Masks a session token for display or logging: its first four characters and its length, never
 * enough to replay it.
 *
 * @example
 * ```ts
 * maskUserToken('2f0a9c41d5e...'); // '2f0a…(64)'
 * ```
 */
export function maskUserToken(token: string | null | undefined): string {
  if (!token) {
    return '(none)';
  }
  return token.length < 16 ? `…(${token.length})` : `${token.slice(0, 4)}…(${token.length})`;
}
