import type { Context } from 'probot';
import { CHECK_NAME, type GithubDeps } from './deps.js';
import { renderRiskSummary, riskConclusion } from './diff-comment.js';

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
  const { input } = state;
  await context.octokit.rest.checks.create({
    owner,
    repo,
    name: CHECK_NAME,
    head_sha: run.head_sha,
    status: 'completed',
    conclusion: riskConclusion(input.risk, input.justification),
    details_url: input.detailsUrl,
    output: {
      title: `${input.risk.risks.length} tunnel risk(s)`,
      summary: renderRiskSummary(input).slice(0, 65_000),
    },
  });
}
