/**
 * The control API under `/mock/` (with `dev`; no instance has these paths): what the demo's
 * buttons, the tests and `MockInstanceControl` use to make tokens go stale, end sessions, switch
 * the instance's answers, redirect a path, read the counters and reset the data.
 */
import express, { Request, Response } from 'express';

import { PackageError } from './apps/app-package';
import { redirectRule } from './http/redirects';
import {
  emptyStats,
  InstanceSwitches,
  limitsProblem,
  MockInstanceConfig,
  MockInstanceState,
} from './instance-state';
import { CHALLENGE_POLICIES, ChallengePolicy, SSO_MODES, SsoMode } from './session/csrf';
import { sessionIdOf } from './session/login-pages';
import type { Session } from './session/sessions';
import { IGNORED_ANSWERS } from './session/transactions';

/** The `/mock/` router of one instance. */
export function controlApi(state: MockInstanceState, bodyLimit: string): express.Router {
  const router = express.Router();
  const json = express.json({ limit: bodyLimit });
  /** A JSON body when there is one; none is fine too. */
  const optionalJson = express.json({ limit: bodyLimit, type: () => true });
  const badRequest = (res: Response, detail: string) =>
    res.status(400).json({ error: { message: 'Bad request', detail }, status: 'failure' });
  const sessionOf = (req: Request) => state.sessions.get(sessionIdOf(req));
  const noSession = (res: Response) =>
    res
      .status(404)
      .json({ error: { message: 'No session', detail: 'Log in first' }, status: 'failure' });

  router.get('/state', (req, res) => {
    const session = sessionOf(req);
    res.set('Cache-Control', 'no-store').json({
      dev: true,
      ...publicConfig(state.config),
      user: session?.userName ?? null,
    });
  });
  /**
   * The sessions a call acts on: the caller's own (its cookie), or with a JSON body
   * `{"user": "<user name>"}` every session of that user — what a test in Node, which holds no
   * browser session, uses.
   */
  const sessionsFor = (req: Request, res: Response): Session[] | null => {
    const body = req.body as unknown;
    if (
      body !== undefined &&
      !(body !== null && typeof body === 'object' && !Array.isArray(body))
    ) {
      badRequest(res, 'Expected no body, or a JSON object {"user": "<user name>"}');
      return null;
    }
    const user = (body as { user?: unknown } | undefined)?.user;
    if (user !== undefined && typeof user !== 'string') {
      badRequest(res, '"user" must be a user name');
      return null;
    }
    const found =
      user === undefined ? [sessionOf(req)].filter((s) => s !== null) : state.sessions.ofUser(user);
    if (found.length === 0) {
      noSession(res);
      return null;
    }
    return found;
  };
  router.post('/rotate-token', optionalJson, (req, res) => {
    const found = sessionsFor(req, res);
    if (found) {
      found.forEach((session) => state.sessions.rotate(session));
      res.json({ rotated: found.length });
    }
  });
  router.post('/end-session', optionalJson, (req, res) => {
    const found = sessionsFor(req, res);
    if (found) {
      found.forEach((session) => state.sessions.end(session.id));
      res.json({ ended: found.length });
    }
  });
  router.post('/config', json, (req, res) => {
    const update = configUpdate(req.body);
    if (typeof update === 'string') {
      badRequest(res, update);
      return;
    }
    Object.assign(state.config, update);
    res.json(publicConfig(state.config));
  });
  const stats = () => ({ ...state.stats, rotations: state.sessions.rotations });
  const resetStats = () => {
    Object.assign(state.stats, emptyStats());
    state.sessions.rotations = 0;
  };
  router.get('/stats', (req, res) => {
    res.set('Cache-Control', 'no-store').json(stats());
  });
  router.post('/stats/reset', (req, res) => {
    resetStats();
    res.json(stats());
  });
  router.post(
    '/install',
    express.raw({ type: () => true, limit: '50mb' }),
    (req: Request, res: Response) => {
      const zip = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      try {
        res.json(state.apps.install(zip));
      } catch (error) {
        if (!(error instanceof PackageError)) {
          throw error;
        }
        res.status(400).json({
          error: { message: 'Not an application package', detail: error.message },
          status: 'failure',
        });
      }
    },
  );
  // Paths answered with a redirect, for tests of what a client does with one (http/redirects.ts).
  const redirects = () => ({ redirects: [...state.redirects.values()] });
  router.get('/redirects', (req, res) => {
    res.set('Cache-Control', 'no-store').json(redirects());
  });
  router.post('/redirects', json, (req, res) => {
    const rule = redirectRule(req.body);
    if (typeof rule === 'string') {
      badRequest(res, rule);
      return;
    }
    state.redirects.set(rule.path, rule);
    res.json(redirects());
  });
  router.delete('/redirects', (req, res) => {
    state.redirects.clear();
    res.json(redirects());
  });
  // As the instance started: its data, no attachments, no sessions, no redirects, its switches,
  // zero counts.
  const startingSwitches = publicConfig(state.config);
  router.post('/reset', (req, res) => {
    state.db.reset();
    state.attachments.clear();
    state.sessions.endAll();
    state.redirects.clear();
    Object.assign(state.config, startingSwitches);
    resetStats();
    res.json({ reset: true });
  });
  return router;
}

export function publicConfig(config: MockInstanceConfig): InstanceSwitches {
  const { dev: _dev, ...switches } = config;
  return { ...switches, rateLimits: [...switches.rateLimits] };
}

/** The switches a `POST /mock/config` body sets, or what is wrong with it. */
function configUpdate(body: unknown): Partial<InstanceSwitches> | string {
  const expected =
    'Expected a JSON object with any of tokenResponseHeader (boolean), allowResubmit (boolean), ' +
    `challenge (${CHALLENGE_POLICIES.join('|')}), honourNoResponseChallenge (boolean), ` +
    `sso (${SSO_MODES.join('|')}), ` +
    'invalidQueryReturnsNoRows (boolean), sessionConcurrency, maxWaiters, latency, jitter ' +
    `(whole numbers), ignoredRequests (${IGNORED_ANSWERS.join('|')}), rateLimits (a list of rules)`;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return expected;
  }
  const checks: Record<keyof InstanceSwitches, (v: unknown) => boolean> = {
    tokenResponseHeader: (v) => typeof v === 'boolean',
    invalidQueryReturnsNoRows: (v) => typeof v === 'boolean',
    allowResubmit: (v) => typeof v === 'boolean',
    challenge: (v) => CHALLENGE_POLICIES.includes(v as ChallengePolicy),
    honourNoResponseChallenge: (v) => typeof v === 'boolean',
    sso: (v) => SSO_MODES.includes(v as SsoMode),
    // Checked together below, with a message that names the problem.
    sessionConcurrency: () => true,
    maxWaiters: () => true,
    ignoredRequests: () => true,
    latency: () => true,
    jitter: () => true,
    rateLimits: () => true,
  };
  const entries = Object.entries(body);
  const valid = entries.every(
    ([key, value]) => Object.hasOwn(checks, key) && checks[key as keyof InstanceSwitches](value),
  );
  if (!valid || entries.length === 0) {
    return expected;
  }
  return limitsProblem(body) ?? (Object.fromEntries(entries) as Partial<InstanceSwitches>);
}
