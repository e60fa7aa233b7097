/**
 * Where the proxy's credentials come from: the environment, or a prompt in a terminal. Never from
 * flags (they would land in the shell's history and the process list).
 */
import { Credentials, LoginError } from './session';

/** The credentials the environment names, in order: SN_OAUTH_TOKEN, SN_COOKIE, SN_USER + SN_PASSWORD. */
export async function credentialsFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials> {
  if (env['SN_OAUTH_TOKEN']) {
    return { mode: 'bearer', token: env['SN_OAUTH_TOKEN'] };
  }
  if (env['SN_COOKIE']) {
    return { mode: 'cookie', cookie: env['SN_COOKIE'] };
  }
  if (env['SN_USER'] && env['SN_PASSWORD']) {
    return { mode: 'password', user: env['SN_USER'], password: env['SN_PASSWORD'] };
  }
  if (process.stdin.isTTY && process.stdout.isTTY) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { input, password } = require('@inquirer/prompts') as typeof import('@inquirer/prompts');
    const user = env['SN_USER'] || (await input({ message: 'Instance user name:' }));
    return {
      mode: 'password',
      user,
      password: await password({ message: 'Password:', mask: true }),
    };
  }
  throw new LoginError(
    'failed',
    'no credentials: set SN_USER and SN_PASSWORD, SN_COOKIE or SN_OAUTH_TOKEN',
  );
}
