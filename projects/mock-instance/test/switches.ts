// The session limits a mock instance starts with, as `/mock/state` and `/mock/config` show them.
export const STARTING_LIMITS = {
  sessionConcurrency: 2,
  maxWaiters: 10,
  ignoredRequests: 'accepted',
  latency: 0,
  jitter: 0,
  rateLimits: [],
};
