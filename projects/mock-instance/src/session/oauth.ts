/**
 * `POST /oauth_token.do`: the instance's OAuth token endpoint, password grant only, so a client
 * can call the REST API with `Authorization: Bearer <token>` (an integration session: no CSRF
 * token needed). Any non-empty `client_id` is accepted: the mock has no OAuth application
 * registry. Answers `{access_token, refresh_token, scope, token_type: "Bearer", expires_in}`, or
 * 401 `{"error":"server_error","error_description":"access_denied"}` as an instance does for bad
 * credentials.
 */
import { randomBytes } from 'node:crypto';

import express, { Router } from 'express';

import { checkPassword } from './credentials';
import type { Database } from '../data/database';

/** Access tokens issued, and whose they are. */
export class OAuthTokens {
  private readonly tokens = new Map<string, { userName: string; expires: number }>();
  constructor(private readonly clock: () => number) {}

  issue(userName: string, lifetimeMs: number): string {
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { userName, expires: this.clock() + lifetimeMs });
    return token;
  }

  /** The user a live token belongs to, or null. */
  userOf(token: string): string | null {
    const entry = this.tokens.get(token);
    return entry && entry.expires > this.clock() ? entry.userName : null;
  }
}

const LIFETIME_S = 1799;

export function oauthEndpoint(db: Database, tokens: OAuthTokens, bodyLimit: string): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: bodyLimit });
  router.post('/oauth_token.do', form, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user =
      body['grant_type'] === 'password' &&
      typeof body['client_id'] === 'string' &&
      body['client_id']
        ? checkPassword(db, body['username'], body['password'])
        : null;
    res.set('Cache-Control', 'no-store');
    if (!user) {
      res.status(401).json({ error: 'server_error', error_description: 'access_denied' });
      return;
    }
    res.json({
      access_token: tokens.issue(user['user_name'], LIFETIME_S * 1000),
      refresh_token: randomBytes(32).toString('base64url'),
      scope: 'useraccount',
      token_type: 'Bearer',
      expires_in: LIFETIME_S,
    });
  });
  return router;
}
