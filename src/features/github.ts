import { generateKeyPairSync } from 'node:crypto';
import { Probot, ProbotOctokit } from 'probot';
import type { AppContext } from '../app/context.js';
import { DeployLock } from '../github/deploy-lock.js';
import type { GithubDeps } from '../github/deps.js';
import { githubApp } from '../github/github-app.js';
import { StickyComment } from '../github/sticky-comment.js';
import { checkWebhookHeaders, createWebhookEndpoint, MAX_WEBHOOK_BODY } from '../github/webhook-endpoint.js';

export const GITHUB_WEBHOOKS_PATH = '/api/github/webhooks';

export function githubDeps(
  ctx: Pick<AppContext, 'topology' | 'store' | 'chat' | 'clock' | 'log' | 'env'>,
): GithubDeps {
  return {
    topology: ctx.topology,
    store: ctx.store,
    chat: ctx.chat,
    clock: ctx.clock,
    log: ctx.log.child({ component: 'github' }),
    locks: new DeployLock(ctx.store),
    comments: new StickyComment(ctx.store),
    environments: ctx.env.TUNNELOPS_DEPLOY_ENVIRONMENTS.split(',')
      .map((e) => e.trim())
      .filter(Boolean),
    diffWorkflow: ctx.env.TUNNELOPS_DIFF_WORKFLOW,
  };
}

/** A throwaway key so the sandbox can serve webhooks without a real GitHub App. */
function throwawayKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
}

/** Serves the GitHub App at /api/github/webhooks when WEBHOOK_SECRET is set (signature checked before Probot). */
export async function registerGithub(ctx: AppContext): Promise<void> {
  const { env } = ctx;
  if (!env.WEBHOOK_SECRET) return;
  const probot = new Probot({
    appId: env.APP_ID ?? '1',
    privateKey: env.PRIVATE_KEY?.replace(/\\n/g, '\n') ?? throwawayKey(),
    secret: env.WEBHOOK_SECRET,
    logLevel: env.LOG_LEVEL === 'silent' ? 'fatal' : env.LOG_LEVEL,
    ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
    Octokit: ProbotOctokit,
  });
  await probot.load(githubApp(githubDeps(ctx)));
  // Our server reads the body (bounded) and checks the signature before Probot sees anything.
  ctx.http.route(
    'POST',
    GITHUB_WEBHOOKS_PATH,
    createWebhookEndpoint({ probot, secret: env.WEBHOOK_SECRET, store: ctx.store }),
    { auth: checkWebhookHeaders, maxBody: MAX_WEBHOOK_BODY },
  );
  ctx.log.info({ path: GITHUB_WEBHOOKS_PATH }, 'GitHub App webhooks enabled');
}
