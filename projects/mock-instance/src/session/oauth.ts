/**
 * `POST /oauth_token.do`: the instance's OAuth token endpoint, so a client can call the REST API
 * with `Authorization: Bearer <token>` (an integration session: no CSRF token needed).
 *
 * - Grants: `password` (a user's name and password), `refresh_token` (a refresh token this
 *   endpoint issued, for the same client), and `client_credentials` (a declared client, acting as
 *   the user it is declared with, as an instance's OAuth application runs as its "OAuth
 *   Application User").
 * - The client authenticates with `client_id`/`client_secret` in the body or, as RFC 6749 §2.3.1
 *   prefers, in an `Authorization: Basic` header. With no clients declared (`oauthClients`), any
 *   non-empty `client_id` is accepted for the password and refresh grants.
 * - Answers `{access_token, refresh_token, scope, token_type: "Bearer", expires_in}`; a refused
 *   grant is 401 `{"error":"server_error","error_description":"access_denied"}` as community
 *   reports show an instance's; an unknown grant type 400 `unsupported_grant_type` (RFC 6749
 *   §5.2; an instance's answer is unverified).
 */
import { randomBytes } from 'node:crypto';

import express, { Router } from 'express';

import type { OAuthClient } from '../data/instance-data';
import { basicCredentials, checkPassword } from './credentials';
import type { Database } from '../data/database';

/** Access and refresh tokens issued, and whose they are. */
export class OAuthTokens {
  private readonly tokens = new Map<string, { userName: string; expires: number }>();
  private readonly refreshTokens = new Map<
    string,
    { userName: string; clientId: string; expires: number }
  >();
  constructor(private readonly clock: () => number) {}

  issue(userName: string, lifetimeMs: number): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { userName, expires: this.clock() + lifetimeMs });
    return token;
  }

  /** A refresh token for `userName` through `clientId` (100 days, an instance's default). */
  issueRefresh(userName: string, clientId: string): string {
    const token = randomBytes(32).toString('base64url');
    this.refreshTokens.set(token, { userName, clientId, expires: this.clock() + 100 * 86_400_000 });
    return token;
  }

  /** The user a live refresh token of `clientId` belongs to, or null. */
  refreshedUser(token: string, clientId: string): string | null {
    const entry = this.refreshTokens.get(token);
    return entry && entry.clientId === clientId && entry.expires > this.clock()
      ? entry.userName
      : null;
  }

  /** The user a live token belongs to, or null. */
  userOf(token: string): string | null {
    const entry = this.tokens.get(token);
    return entry && entry.expires > this.clock() ? entry.userName : null;
  }
}

const LIFETIME_S = 1799;

/** The client's id and secret: from `Authorization: Basic`, else from the body. */
function clientOf(
  header: string | undefined,
  body: Record<string, unknown>,
): { id: string; secret: string } | null {
  const basic = basicCredentials(header);
  if (basic) {
    // RFC 6749 §2.3.1: both parts are form-encoded before they are joined.
    const part = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
    return { id: part(basic.name), secret: part(basic.secret) };
  }
  const id = body['client_id'];
  const secret = body['client_secret'];
  return typeof id === 'string' && id !== ''
    ? { id, secret: typeof secret === 'string' ? secret : '' }
    : null;
}

export function oauthEndpoint(
  db: Database,
  tokens: OAuthTokens,
  bodyLimit: string,
  clients: readonly OAuthClient[] = [],
): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: bodyLimit });
  router.post('/oauth_token.do', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.set('Cache-Control', 'no-store');
    const grant = body['grant_type'];
    if (grant !== 'password' && grant !== 'refresh_token' && grant !== 'client_credentials') {
      res.status(400).json({
        error: 'unsupported_grant_type',
        error_description: 'grant_type must be password, refresh_token or client_credentials',
      });
      return;
    }
    const client = clientOf(req.headers.authorization, body);
    const declared = client && clients.find((c) => c.clientId === client.id);
    const clientOk =
      client !== null &&
      (declared ? declared.clientSecret === client.secret : clients.length === 0);
    let userName: string | null = null;
    if (clientOk && grant === 'password') {
      userName = checkPassword(db, body['username'], body['password'])?.['user_name'] ?? null;
    } else if (clientOk && grant === 'refresh_token' && typeof body['refresh_token'] === 'string') {
      userName = tokens.refreshedUser(body['refresh_token'], client.id);
    } else if (clientOk && grant === 'client_credentials' && declared?.user) {
      userName = db.findUser(declared.user)?.['user_name'] ?? null;
    }
    if (!client || userName === null) {
      res.status(401).json({ error: 'server_error', error_description: 'access_denied' });
      return;
    }
    res.json({
      access_token: tokens.issue(userName, LIFETIME_S * 1000),
      ...(grant === 'client_credentials'
        ? {}
        : { refresh_token: tokens.issueRefresh(userName, client.id) }),
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: LIFETIME_S,
    });
  });
  return router;
}
