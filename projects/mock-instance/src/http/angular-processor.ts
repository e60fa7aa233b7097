/**
 * `/angular.do`: the two processor calls ServiceNow's own CLI (`@servicenow/sdk-cli` 4.9.0,
 * `UISession`) makes to get a UI session and its token with a user name and a password.
 *
 * - `POST /angular.do?sysparm_type=view_form.login`, a form with `user_name` and `user_password`:
 *   200 with a JSON `status` (`error` with a `message` on a wrong password); the session comes in
 *   `Set-Cookie`.
 * - `POST /angular.do?sysparm_type=get_user` with the session cookie: the CSRF check applies, so
 *   without the token it is the 401 whose `X-UserToken-Response` names the session's token (which
 *   is how the CLI learns it); with the token, 200 and the user.
 *
 * The CLI reads only `status` and `message` of the login answer and only the headers of the 401;
 * the other fields of both 200 bodies are this mock's (unverified against an instance).
 */
import express, { Request, Response, Router } from 'express';

import { checkPassword } from '../session/credentials';
import { AuthDeps, authenticate, callerOf } from '../session/csrf';
import { startSession } from '../session/login-pages';
import { sendError } from './responses';

export function angularProcessor(deps: AuthDeps, bodyLimit: string): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: bodyLimit });
  const check = authenticate(deps);
  const type = (req: Request) => req.query['sysparm_type'];

  router.post('/angular.do', form, (req: Request, res: Response, next) => {
    if (type(req) !== 'view_form.login') {
      next();
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const user = checkPassword(deps.db, body['user_name'], body['user_password']);
    res.set('Cache-Control', 'no-store');
    if (!user) {
      res.json({ status: 'error', message: 'User name or password invalid' });
      return;
    }
    if (deps.mfaUsers.has(user['user_name'])) {
      // The CLI fails on this status; the message is the mock's (unverified).
      res.json({ status: 'mfa_code_required', message: 'Multi-factor authentication required' });
      return;
    }
    startSession(res, deps.sessions, user);
    res.json({ status: 'success', user_name: user['user_name'] });
  });

  router.post('/angular.do', check, (req: Request, res: Response) => {
    if (type(req) !== 'get_user') {
      sendError(req, res, 400, {
        message: 'Invalid processor request',
        detail: `Unsupported sysparm_type: ${String(type(req) ?? '')}`,
      });
      return;
    }
    const caller = callerOf(res);
    const user = deps.db.findUser(caller.userName);
    res.set('Cache-Control', 'no-store').json({
      user_name: caller.userName,
      user_sys_id: caller.sysId,
      user_display_name: user?.['name'] ?? caller.userName,
    });
  });
  return router;
}
