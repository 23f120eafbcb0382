import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { ConfigError } from '../domain/errors.js';

/** The Slack secret infra creates (tunnelops/slack): JSON with the signing secret and the bot token. */
const slackSecret = z.object({ botToken: z.string().regex(/^xox[a-z]-[\w-]{1,250}$/) });

/** Secrets Manager caps a secret at 64 KiB; anything larger is not our secret. */
const MAX_SECRET_CHARS = 65_536;

/**
 * Reads the Slack bot token from its secret (one GetSecretValue on that secret, at cold start), so the token
 * is never in a function's environment (readable with lambda:GetFunctionConfiguration) and a rotated token
 * reaches the next cold start without a redeploy. Errors say how to fix the secret; they never echo it.
 */
export async function readSlackBotToken(client: SecretsManagerClient, secretId: string): Promise<string> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  const text = out.SecretString;
  const fix = `put JSON {"signingSecret": "...", "botToken": "xoxb-..."} into ${secretId} (aws secretsmanager put-secret-value)`;
  if (!text || text.length > MAX_SECRET_CHARS)
    throw new ConfigError(`the Slack secret ${secretId} has no usable SecretString: ${fix}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`the Slack secret ${secretId} is not JSON: ${fix}`);
  }
  const parsed = slackSecret.safeParse(json);
  if (!parsed.success)
    throw new ConfigError(`the Slack secret ${secretId} holds no Slack bot token in botToken: ${fix}`);
  return parsed.data.botToken;
}
