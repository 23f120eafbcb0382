import { ConfigError } from '../domain/errors.js';
import { type Env, envSchema } from './env-schema.js';
import { formatZodError } from './format-zod-error.js';

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) throw new ConfigError(formatZodError(result.error, 'the environment'));
  return result.data;
}

/** AWS is used when any credential source is configured; otherwise the account is simulated. */
export const usesAws = (env: Env): boolean =>
  Boolean(env.AWS_PROFILE || env.AWS_ACCESS_KEY_ID || env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI);
