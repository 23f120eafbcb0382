import type { Context } from 'probot';
import {
  type DeployFacts,
  deployRefusals,
  lockedRefusal,
  parsePrCommand,
  STALE_APPROVAL,
  unknownEnvironment,
} from '../domain/deploy-gate.js';
import { logFailure } from '../log.js';
import { CHECK_NAME, type GithubDeps } from './deps.js';

type CommentContext = Context<'issue_comment.created'>;
const MAX_COMMAND_AGE_MS = 3 * 24 * 3600_000;

async function reply(context: CommentContext, body: string): Promise<void> {
  await context.octokit.rest.issues.createComment(context.issue({ body }));
}

function refuse(
  context: CommentContext,
  user: string,
  environment: string,
  refusals: string[],
): Promise<void> {
  return reply(
    context,
    `@${user} cannot deploy to \`${environment}\`:\n${refusals.map((r) => `- ${r}`).join('\n')}`,
  );
}

/** `/deploy <env>` and `/unlock <env>` as PR comments. Every refusal is a reply that says why. */
// length: not split yet (issue 19 follow-up: one step of this function per helper)
export async function onIssueComment(context: CommentContext, deps: GithubDeps): Promise<void> {
  const { issue, comment } = context.payload;
  if (!issue.pull_request || !comment.user || comment.user.type === 'Bot') return;
  const command = parsePrCommand(comment.body);
  if (!command) return;
  // GitHub redelivers for 3 days; delivery ids are remembered 30 days: an older command is a replay.
  if (deps.clock.now() - Date.parse(comment.created_at) > MAX_COMMAND_AGE_MS) {
    deps.log.warn(
      { pr: issue.number, comment: comment.id },
      'ignored a /deploy or /unlock older than 3 days',
    );
    return;
  }
  const { owner, repo } = context.repo();
  const user = comment.user.login;
  const log = deps.log.child({
    pr: issue.number,
    user,
    command: command.kind,
    environment: command.environment,
  });
  // An unknown environment needs no facts from GitHub: say so before asking anything.
  const unknown = unknownEnvironment(command.environment, deps.environments);
  if (unknown) {
    await reply(context, `@${user} ${unknown}.`);
    return;
  }
  const permission = await context.octokit.rest.repos.getCollaboratorPermissionLevel({
    owner,
    repo,
    username: user,
  });

  if (command.kind === 'unlock') {
    if (permission.data.permission !== 'admin') {
      await reply(context, `@${user} only admins can \`/unlock ${command.environment}\`.`);
      return;
    }
    const released = await deps.locks.release(command.environment);
    await reply(
      context,
      released
        ? `\`${command.environment}\` unlocked by @${user}.`
        : `\`${command.environment}\` was not locked.`,
    );
    log.info({ released }, 'unlock');
    return;
  }

  const pull = await context.octokit.rest.pulls.get({ owner, repo, pull_number: issue.number });
  const sha = pull.data.head.sha;
  const [reviews, checks, holder] = await Promise.all([
    // Every page: the 101st review may be the one that requested changes.
    context.octokit.paginate(context.octokit.rest.pulls.listReviews, {
      owner,
      repo,
      pull_number: issue.number,
      per_page: 100,
    }),
    context.octokit.rest.checks.listForRef({ owner, repo, ref: sha, per_page: 100 }),
    deps.locks.holder(command.environment),
  ]);
  // The latest review of each reviewer counts (an approval after "changes requested" supersedes it), and an
  // approval counts only for the commit it approved: approve, push more commits, deploy is not an approval.
  const latest = new Map<string, string>();
  for (const r of reviews) {
    if (!r.user || r.state === 'COMMENTED') continue;
    latest.set(r.user.login, r.state === 'APPROVED' && r.commit_id !== sha ? STALE_APPROVAL : r.state);
  }
  const facts: DeployFacts = {
    commenter: user,
    commenterPermission: permission.data.permission,
    author: pull.data.user.login,
    reviews: [...latest].map(([u, state]) => ({ user: u, state })),
    checks: checks.data.check_runs
      .filter((c) => c.name !== CHECK_NAME || c.conclusion !== 'neutral')
      .map((c) => ({ name: c.name, status: c.status, conclusion: c.conclusion })),
    mergeable: pull.data.mergeable,
    mergeableState: pull.data.mergeable_state,
    prState: pull.data.state,
    lockHolder: holder ? { pr: holder.pr, by: holder.by } : null,
    environment: command.environment,
  };
  const refusals = deployRefusals(facts);
  if (refusals.length) {
    log.info({ refusals }, 'deploy refused');
    await refuse(context, user, command.environment, refusals);
    return;
  }
  const at = new Date(deps.clock.now()).toISOString();
  const acquired = await deps.locks.acquire(command.environment, {
    pr: issue.number,
    by: user,
    sha,
    repo: `${owner}/${repo}`,
    at,
  });
  if (!acquired) {
    const now = await deps.locks.holder(command.environment);
    const holder = { pr: now?.pr ?? '?', by: now?.by ?? '?' };
    await refuse(context, user, command.environment, [lockedRefusal(command.environment, holder)]);
    return;
  }
  try {
    const deployment = await context.octokit.rest.repos.createDeployment({
      owner,
      repo,
      ref: sha,
      environment: command.environment,
      auto_merge: false,
      required_contexts: [],
      description: `tunnelops deploy of #${issue.number} by ${user}`,
      payload: { pr: issue.number, requestedBy: user },
    });
    const id = 'id' in deployment.data ? deployment.data.id : undefined;
    if (id === undefined)
      throw new Error(String((deployment.data as { message?: string }).message ?? 'no deployment created'));
    await deps.store.appendAudit({
      at,
      site: '*',
      action: 'deploy',
      actor: `github:${user}`,
      event: 'requested',
      detail: { pr: issue.number, environment: command.environment, sha, deployment: id },
    });
    await reply(
      context,
      `:rocket: Deploying \`${sha.slice(0, 7)}\` to \`${command.environment}\` (deployment ${id}); \`${command.environment}\` is locked until it finishes.`,
    );
    log.info({ deployment: id }, 'deployment created');
  } catch (err) {
    await deps.locks.release(command.environment, issue.number);
    const errorId = logFailure(log, err, 'creating the deployment failed');
    await reply(
      context,
      `@${user} GitHub did not create the deployment, so nothing was deployed and \`${command.environment}\` is unlocked; try \`/deploy ${command.environment}\` again. (error ${errorId} in the bot's log)`,
    );
  }
}
