import type { z } from 'zod';
import { envSchema } from '../../../src/config/env-schema.js';
import { formatZodError } from '../../../src/config/format-zod-error.js';
import { ConfigError } from '../../../src/domain/errors.js';

/**
 * Process environments that infra hands to the bot and the controller, typed from the app's own zod
 * schema (src/config/env-schema.ts): a misspelled or unknown variable, or a required one left out, is a
 * compile error here, and the values are checked by the same schema at synth time.
 */
export type EnvKey = keyof z.input<typeof envSchema>;

/** `Required` must be given; any other schema variable may be. */
export type DeployedEnv<Required extends EnvKey> = { [K in Required]: string } & {
  [K in Exclude<EnvKey, Required>]?: string;
};

/** What every deployed process must be told explicitly (the schema's defaults suit the sandbox only). */
export type CoreVars = 'LOG_LEVEL' | 'TUNNELOPS_TOPOLOGY' | 'TUNNELOPS_STORE' | 'TUNNELOPS_DATA_DIR';
export type BotPlainVars =
  | CoreVars
  | 'PORT'
  | 'HOST'
  | 'AWS_REGION'
  | 'TUNNELOPS_SNS_TOPIC_ARNS'
  | 'TUNNELOPS_ALARM_QUEUE_URL';
export type BotSecretVars =
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_BOT_TOKEN'
  | 'APP_ID'
  | 'PRIVATE_KEY'
  | 'WEBHOOK_SECRET'
  | 'TUNNELOPS_API_TOKEN';
/** Lambda sets AWS_REGION and the credentials itself and rejects them in a function's environment. */
type LambdaReserved =
  | 'AWS_REGION'
  | 'AWS_ACCESS_KEY_ID'
  | 'AWS_PROFILE'
  | 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
export type ControllerVars = CoreVars | 'TUNNELOPS_SITE';
/** Secrets never go into a function's environment (lambda:GetFunctionConfiguration shows it in plain text). */
type NeverInLambda = BotSecretVars;

function checked<T extends Record<string, string | undefined>>(
  vars: T,
  what: string,
): Record<string, string> {
  const result = envSchema.safeParse(vars);
  if (!result.success) throw new ConfigError(formatZodError(result.error, what));
  return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined));
}

export function botEnvironment(vars: DeployedEnv<BotPlainVars>): Record<string, string> {
  return checked(vars, 'the bot container environment');
}

export function controllerEnvironment(
  vars: DeployedEnv<ControllerVars> & { [K in LambdaReserved | NeverInLambda]?: never },
): Record<string, string> {
  return checked(vars, 'the failover controller environment');
}

/** Secrets come from Secrets Manager, never the plain environment; a name in both is an error. */
export function botSecrets<S>(
  secrets: { [K in BotSecretVars]: S },
  plain: Record<string, string>,
): Record<string, S> {
  const both = Object.keys(secrets).filter((k) => k in plain);
  if (both.length)
    throw new ConfigError(`set ${both.join(', ')} as secrets only, not in the plain environment`);
  return secrets;
}
