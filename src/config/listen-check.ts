import { ConfigError } from '../domain/errors.js';
import type { Env } from './env-schema.js';

export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);

/**
 * Outside the sandbox, listening beyond loopback with no API token would open /api/* to the network:
 * refuse to start unless TUNNELOPS_API_OPEN says that is intended. Returns a warning for the sandbox case.
 */
export function checkListenExposure(env: Env, sandbox: boolean): string | undefined {
  if (isLoopbackHost(env.HOST) || env.TUNNELOPS_API_TOKEN || env.TUNNELOPS_API_OPEN) return undefined;
  const what = `HOST=${env.HOST} without TUNNELOPS_API_TOKEN leaves /api/* open to the network`;
  if (!sandbox)
    throw new ConfigError(
      `${what}. Set TUNNELOPS_API_TOKEN, listen on 127.0.0.1 (HOST), or set TUNNELOPS_API_OPEN=1 if a proxy in front authenticates.`,
    );
  return `${what} (sandbox); set TUNNELOPS_API_TOKEN to protect it`;
}
