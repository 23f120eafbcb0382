import type { Context } from 'probot';
import { riskJustification } from '../domain/tunnel-risk.js';
import type { GithubDeps } from './deps.js';
import { renderDiffComment } from './diff-comment.js';
import { postRiskCheck } from './risk-check.js';

/**
 * A PR description edited to add (or remove) its `tunnel-risk:` reason: re-judge the stored assessment at
 * once, rather than waiting for the next push to run cdk diff again.
 */
export async function onPullRequestEdited(
  context: Context<'pull_request.edited'>,
  deps: GithubDeps,
): Promise<void> {
  if (context.payload.changes.body === undefined) return;
  const pr = context.payload.pull_request;
  const { owner, repo } = context.repo();
  const state = await deps.comments.state(owner, repo, pr.number);
  if (!state) return;
  const justification = riskJustification(pr.body);
  if (justification === state.input.justification) return;
  const input = { ...state.input, justification };
  await deps.comments.upsert(context.octokit, owner, repo, pr.number, renderDiffComment(input), input);
  await postRiskCheck(context.octokit, { owner, repo, headSha: input.sha }, input);
}
