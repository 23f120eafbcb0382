import type { Context } from 'probot';
import { CHECK_NAME, type GithubDeps } from './deps.js';
import { postRiskCheck } from './risk-check.js';

/** "Re-run" on the tunnel-risk check: post it again from the last assessment kept for the PR. */
export async function onCheckRunRerequested(
  context: Context<'check_run.rerequested'>,
  deps: GithubDeps,
): Promise<void> {
  const run = context.payload.check_run;
  if (run.name !== CHECK_NAME) return;
  const { owner, repo } = context.repo();
  const pr = run.pull_requests[0]?.number;
  const state = pr === undefined ? null : await deps.comments.state(owner, repo, pr);
  if (!state) {
    deps.log.info(
      { check: run.id },
      'rerun of the risk check with no stored assessment; the next cdk-diff run will post it',
    );
    return;
  }
  await postRiskCheck(context.octokit, { owner, repo, headSha: run.head_sha }, state.input);
}
