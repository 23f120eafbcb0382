import type { Context } from 'probot';
import { DEPLOY_STATE_ICON, deployStatusMessage } from '../slack/views/deploy-view.js';
import type { GithubDeps } from './deps.js';
import { renderDiffComment } from './diff-comment.js';

const TERMINAL = new Set(['success', 'failure', 'error', 'inactive']);

/** deployment_status: update the PR comment, tell every site's Slack channel, free the lock when done. */
export async function onDeploymentStatus(
  context: Context<'deployment_status'>,
  deps: GithubDeps,
): Promise<void> {
  const { deployment, deployment_status: status } = context.payload;
  const payload = (
    typeof deployment.payload === 'object' && deployment.payload ? deployment.payload : {}
  ) as { pr?: number };
  const pr = typeof payload.pr === 'number' ? payload.pr : null;
  const { owner, repo } = context.repo();
  const env = deployment.environment;
  const link = status.target_url || status.log_url || deployment.url || null;
  const what = pr ? `#${pr}` : deployment.sha.slice(0, 7);
  const line = `${DEPLOY_STATE_ICON[status.state] ?? ''} ${status.state} — deploy of ${what} to \`${env}\`${link ? ` (${link})` : ''}`;

  if (pr !== null) {
    const sticky = await deps.comments.state(owner, repo, pr);
    if (sticky) {
      const input = { ...sticky.input, deployments: [...(sticky.input.deployments ?? []), line].slice(-10) };
      await deps.comments.upsert(context.octokit, owner, repo, pr, renderDiffComment(input), input);
    }
  }
  const channels = [...new Set(deps.topology.sites.map((s) => s.slackChannel))];
  for (const channel of channels) {
    await deps.chat.post(
      channel,
      deployStatusMessage({ repo: `${owner}/${repo}`, state: status.state, what, environment: env, link }),
    );
  }
  if (TERMINAL.has(status.state)) {
    const released = pr !== null ? await deps.locks.release(env, pr) : false;
    await deps.store.appendAudit({
      at: new Date(deps.clock.now()).toISOString(),
      site: '*',
      action: 'deploy',
      actor: `github:${status.creator?.login ?? 'unknown'}`,
      event: status.state,
      detail: { pr, environment: env, deployment: deployment.id, released },
    });
  }
  deps.log.info({ pr, env, state: status.state }, 'deployment status');
}
