import type { Context } from 'probot';
import {
  type DeployFacts,
  deployRefusals,
  lockedRefusal,
  type PrCommand,
  parsePrCommand,
  STALE_APPROVAL,
  unknownEnvironment,
} from '../domain/deploy-gate.js';
import { type Logger, logFailure } from '../log.js';
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

/** Who asked for what, on which PR, with their permission on the repository. */
interface Asked {
  command: PrCommand;
  user: string;
  pr: number;
  permission: string;
  log: Logger;
}

/** `/deploy <env>` and `/unlock <env>` as PR comments. Every refusal is a reply that says why. */
export async function onIssueComment(context: CommentContext, deps: GithubDeps): Promise<void> {
  const asked = freshCommand(context, deps);
  if (!asked) return;
  const { command, user } = asked;
  const log = deps.log.child({
    pr: asked.pr,
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
    ...context.repo(),
    username: user,
  });
  const who = { ...asked, permission: permission.data.permission, log };
  if (command.kind === 'unlock') await unlock(context, deps, who);
  else await deploy(context, deps, who);
}

/** The command in a person's new comment on a PR; undefined for anything else (bots, replays, plain comments). */
function freshCommand(
  context: CommentContext,
  deps: GithubDeps,
): Pick<Asked, 'command' | 'user' | 'pr'> | undefined {
  const { issue, comment } = context.payload;
  if (!issue.pull_request || !comment.user || comment.user.type === 'Bot') return undefined;
  const command = parsePrCommand(comment.body);
  if (!command) return undefined;
  // GitHub redelivers for 3 days; delivery ids are remembered 30 days: an older command is a replay.
  if (deps.clock.now() - Date.parse(comment.created_at) > MAX_COMMAND_AGE_MS) {
    deps.log.warn(
      { pr: issue.number, comment: comment.id },
      'ignored a /deploy or /unlock older than 3 days',
    );
    return undefined;
  }
  return { command, user: comment.user.login, pr: issue.number };
}

/** `/unlock <env>`: admins only; releases whoever holds the environment. */
async function unlock(context: CommentContext, deps: GithubDeps, who: Asked): Promise<void> {
  const { environment } = who.command;
  if (who.permission !== 'admin') {
    await reply(context, `@${who.user} only admins can \`/unlock ${environment}\`.`);
    return;
  }
  const released = await deps.locks.release(environment);
  await reply(
    context,
    released ? `\`${environment}\` unlocked by @${who.user}.` : `\`${environment}\` was not locked.`,
  );
  who.log.info({ released }, 'unlock');
}

/** `/deploy <env>`: the gate's refusals, else the environment's lock and a GitHub deployment of the PR's head. */
async function deploy(context: CommentContext, deps: GithubDeps, who: Asked): Promise<void> {
  const { user, pr } = who;
  const { environment } = who.command;
  const { sha, facts } = await deployFacts(context, deps, who);
  const refusals = deployRefusals(facts);
  if (refusals.length) {
    who.log.info({ refusals }, 'deploy refused');
    await refuse(context, user, environment, refusals);
    return;
  }
  const at = new Date(deps.clock.now()).toISOString();
  const { owner, repo } = context.repo();
  const acquired = await deps.locks.acquire(environment, { pr, by: user, sha, repo: `${owner}/${repo}`, at });
  if (!acquired) {
    const now = await deps.locks.holder(environment);
    const holder = { pr: now?.pr ?? '?', by: now?.by ?? '?' };
    await refuse(context, user, environment, [lockedRefusal(environment, holder)]);
    return;
  }
  try {
    await createDeployment(context, deps, who, sha, at);
  } catch (err) {
    await deps.locks.release(environment, pr);
    const errorId = logFailure(who.log, err, 'creating the deployment failed');
    await reply(
      context,
      `@${user} GitHub did not create the deployment, so nothing was deployed and \`${environment}\` is unlocked; try \`/deploy ${environment}\` again. (error ${errorId} in the bot's log)`,
    );
  }
}

/** What the deploy gate decides on, read from GitHub and the lock, for the PR's head commit. */
async function deployFacts(
  context: CommentContext,
  deps: GithubDeps,
  who: Asked,
): Promise<{ sha: string; facts: DeployFacts }> {
  const { owner, repo } = context.repo();
  const pull = await context.octokit.rest.pulls.get({ owner, repo, pull_number: who.pr });
  const sha = pull.data.head.sha;
  const [reviews, checks, holder] = await Promise.all([
    // Every page: the 101st review may be the one that requested changes.
    context.octokit.paginate(context.octokit.rest.pulls.listReviews, {
      owner,
      repo,
      pull_number: who.pr,
      per_page: 100,
    }),
    context.octokit.rest.checks.listForRef({ owner, repo, ref: sha, per_page: 100 }),
    deps.locks.holder(who.command.environment),
  ]);
  const facts: DeployFacts = {
    commenter: who.user,
    commenterPermission: who.permission,
    author: pull.data.user.login,
    reviews: latestReviews(reviews, sha),
    checks: checks.data.check_runs
      .filter((c) => c.name !== CHECK_NAME || c.conclusion !== 'neutral')
      .map((c) => ({ name: c.name, status: c.status, conclusion: c.conclusion })),
    mergeable: pull.data.mergeable,
    mergeableState: pull.data.mergeable_state,
    prState: pull.data.state,
    lockHolder: holder ? { pr: holder.pr, by: holder.by } : null,
    environment: who.command.environment,
  };
  return { sha, facts };
}

/**
 * The latest review of each reviewer counts (an approval after "changes requested" supersedes it), and an
 * approval counts only for the commit it approved: approve, push more commits, deploy is not an approval.
 */
function latestReviews(
  reviews: ReadonlyArray<{ user: { login: string } | null; state: string; commit_id: string | null }>,
  sha: string,
): DeployFacts['reviews'] {
  const latest = new Map<string, string>();
  for (const r of reviews) {
    if (!r.user || r.state === 'COMMENTED') continue;
    latest.set(r.user.login, r.state === 'APPROVED' && r.commit_id !== sha ? STALE_APPROVAL : r.state);
  }
  return [...latest].map(([user, state]) => ({ user, state }));
}

/** Creates the GitHub deployment (the deploy workflow runs on it), audits it and says so on the PR. */
async function createDeployment(
  context: CommentContext,
  deps: GithubDeps,
  who: Asked,
  sha: string,
  at: string,
): Promise<void> {
  const { user, pr } = who;
  const { environment } = who.command;
  const deployment = await context.octokit.rest.repos.createDeployment({
    ...context.repo(),
    ref: sha,
    environment,
    auto_merge: false,
    required_contexts: [],
    description: `tunnelops deploy of #${pr} by ${user}`,
    payload: { pr, requestedBy: user },
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
    detail: { pr, environment, sha, deployment: id },
  });
  await reply(
    context,
    `:rocket: Deploying \`${sha.slice(0, 7)}\` to \`${environment}\` (deployment ${id}); \`${environment}\` is locked until it finishes.`,
  );
  who.log.info({ deployment: id }, 'deployment created');
}
