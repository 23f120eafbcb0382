import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag.js';
import { API_TOKEN_SECRET_NAME, GITHUB_SECRET_NAME, SLACK_SECRET_NAME } from '../naming.js';

const PLACEHOLDER = 'set-me-with-aws-secretsmanager-put-secret-value';

/**
 * Credentials live in Secrets Manager, never in the template or the repository. CDK creates the
 * secrets with placeholders; operators put the real values once (README "Deploy to AWS"), and later
 * deploys leave them alone because the template does not change.
 */
export class AppSecrets extends Construct {
  /** JSON: { signingSecret, botToken } from the Slack app created from manifest.yml. */
  readonly slack: secretsmanager.Secret;
  /** JSON: { appId, privateKey, webhookSecret } from the GitHub App created from app.yml. */
  readonly github: secretsmanager.Secret;
  /** Bearer token for the bot's /api/* (generated). */
  readonly apiToken: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const placeholders = (keys: string[]) =>
      SecretValue.unsafePlainText(JSON.stringify(Object.fromEntries(keys.map((k) => [k, PLACEHOLDER]))));
    this.slack = new secretsmanager.Secret(this, 'Slack', {
      secretName: SLACK_SECRET_NAME,
      description: 'tunnelops Slack app: signingSecret, botToken',
      secretStringValue: placeholders(['signingSecret', 'botToken']),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.github = new secretsmanager.Secret(this, 'GitHub', {
      secretName: GITHUB_SECRET_NAME,
      description: 'tunnelops GitHub App: appId, privateKey (PEM), webhookSecret',
      secretStringValue: placeholders(['appId', 'privateKey', 'webhookSecret']),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.apiToken = new secretsmanager.Secret(this, 'ApiToken', {
      secretName: API_TOKEN_SECRET_NAME,
      description: 'Bearer token for the tunnelops /api/* endpoints',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    acknowledge(this, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Slack and GitHub credentials are issued and rotated in the Slack and GitHub consoles, not by a rotation Lambda; the API token is rotated by putting a new value and redeploying the bot.',
      },
    ]);
  }
}
