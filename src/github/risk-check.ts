import type { Context } from 'probot';
import { CHECK_NAME } from './deps.js';
import { type DiffCommentInput, renderRiskSummary, riskConclusion } from './diff-comment.js';

/** The tunnel-risk check run: failure when a site loses both tunnels without a `tunnel-risk:` reason. */
export async function postRiskCheck(
  octokit: Context['octokit'],
  target: { owner: string; repo: string; headSha: string },
  input: DiffCommentInput,
): Promise<void> {
  const { risk, justification } = input;
  await octokit.rest.checks.create({
    owner: target.owner,
    repo: target.repo,
    name: CHECK_NAME,
    head_sha: target.headSha,
    status: 'completed',
    conclusion: riskConclusion(risk, justification),
    details_url: input.detailsUrl,
    output: {
      title: risk.bothTunnelsDown.length
        ? `Both tunnels of ${risk.bothTunnelsDown.join(', ')} go down`
        : `${risk.risks.length} tunnel risk(s)`,
      summary: renderRiskSummary(input).slice(0, 65_000),
    },
  });
}
