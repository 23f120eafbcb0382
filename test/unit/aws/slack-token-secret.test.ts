import { describe, expect, it } from '@jest/globals';
import { readSlackBotToken } from '../../../src/aws/slack-token-secret.js';
import { fakeClients, nockGetSecretValue } from './aws-http.js';

const REGION = 'eu-west-1';
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tunnelops/slack-AbCdEf';

/** GetSecretValue's reply as the API reference shows it (awsJson1_1; CreatedDate in epoch seconds). */
const secretReply = (secretString: string) => ({
  ARN,
  Name: 'tunnelops/slack',
  VersionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1',
  SecretString: secretString,
  VersionStages: ['AWSCURRENT'],
  CreatedDate: 1523477145.713,
});

describe('Slack bot token from Secrets Manager', () => {
  it('reads botToken from the one secret it is given, with one GetSecretValue', async () => {
    const seen: Record<string, unknown>[] = [];
    const scope = nockGetSecretValue(REGION)(
      200,
      secretReply(JSON.stringify({ signingSecret: 'abc123', botToken: 'xoxb-1234-5678-AbCdEf' })),
      seen,
    );
    const token = await readSlackBotToken(fakeClients().secretsManager(REGION), ARN);
    expect(token).toBe('xoxb-1234-5678-AbCdEf');
    expect(seen).toEqual([{ SecretId: ARN }]);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['the placeholder infra creates', JSON.stringify({ signingSecret: 'x', botToken: 'set-me-with-aws' })],
    ['no botToken field', JSON.stringify({ signingSecret: 'x' })],
    ['not JSON', 'xoxb-not-json'],
  ])('rejects a secret holding %s with the fix, never echoing the value', async (_what, value) => {
    nockGetSecretValue(REGION)(200, secretReply(value));
    const err = await readSlackBotToken(fakeClients().secretsManager(REGION), ARN).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/put-secret-value/);
    expect((err as Error).message).toContain(ARN);
    expect((err as Error).message).not.toContain(value);
  });

  it('surfaces AccessDenied from Secrets Manager (the role may read only its own secret)', async () => {
    nockGetSecretValue(REGION)(400, {
      __type: 'AccessDeniedException',
      Message: 'User is not authorized to perform: secretsmanager:GetSecretValue',
    });
    await expect(readSlackBotToken(fakeClients().secretsManager(REGION), ARN)).rejects.toThrow(
      /not authorized/,
    );
  });
});
