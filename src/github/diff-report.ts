import type { Context } from 'probot';
import { assessTunnelRisk, riskJustification } from '../domain/tunnel-risk.js';
import { type GithubDeps, isInfraPath } from './deps.js';
import { type DiffTarget, downloadDiffArtifact } from './diff-artifact.js';
import { type DiffCommentInput, renderDiffComment, riskConclusion } from './diff-comment.js';
import { postRiskCheck } from './risk-check.js';

/**
 * workflow_run.completed of the diff workflow: sticky comment + check run with the tunnel risk.
 *
 * The diff workflow runs on workflow_run from the default branch (.github/workflows/cdk-diff.yml), so its run
 * names no PR (and a fork's never does): the PR comes from the artifact's pr.json, whose number the PR's own
 * job wrote. It is reported only when that PR's head is still the SHA the diff was made from; otherwise (a
 * forged number, or a newer push) nothing is posted. Without pr.json (the older one-job workflow) the run's
 * own pull_requests are used, with the same check.
 */
export async function onDiffWorkflowCompleted(
  context: Context<'workflow_run.completed'>,
  deps: GithubDeps,
): Promise<void> {
  const run = context.payload.workflow_run;
  if (run.name !== deps.diffWorkflow || run.conclusion !== 'success') return;
  const log = deps.log.child({ run: run.id });
  const artifact = await downloadDiffArtifact(context, run.id);
  if (!artifact) {
    log.warn('diff workflow succeeded but uploaded no cdk-diff artifact');
    return;
  }
  const targets: DiffTarget[] = artifact.pr
    ? [artifact.pr]
    : run.pull_requests.flatMap((pr) => (pr ? [{ number: pr.number, headSha: run.head_sha }] : []));
  if (targets.length === 0) log.warn('diff artifact names no pull request (no pr.json); nothing reported');
  for (const target of targets) await report(context, deps, target, artifact.diff);
}

async function report(
  context: Context<'workflow_run.completed'>,
  deps: GithubDeps,
  target: DiffTarget,
  diff: DiffCommentInput['diff'],
): Promise<void> {
  const run = context.payload.workflow_run;
  const { owner, repo } = context.repo();
  const log = deps.log.child({ pr: target.number, run: run.id });
  const pull = await context.octokit.rest.pulls.get({ owner, repo, pull_number: target.number });
  if (pull.data.head.sha !== target.headSha) {
    log.warn(
      { diffSha: target.headSha, headSha: pull.data.head.sha },
      "the diff was not made from this PR's head commit; nothing reported",
    );
    return;
  }
  const files = await context.octokit.rest.pulls.listFiles({
    owner,
    repo,
    pull_number: target.number,
    per_page: 100,
  });
  if (!files.data.some((f) => isInfraPath(f.filename))) {
    log.info('PR does not touch infra/, images/ or the topology; no diff comment');
    return;
  }
  const risk = assessTunnelRisk(deps.topology, diff);
  const justification = riskJustification(pull.data.body);
  const previous = await deps.comments.state(owner, repo, target.number);
  const input: DiffCommentInput = {
    sha: target.headSha,
    diff,
    risk,
    justification,
    detailsUrl: run.html_url,
    ...(previous?.input.deployments ? { deployments: previous.input.deployments } : {}),
  };
  await deps.comments.upsert(context.octokit, owner, repo, target.number, renderDiffComment(input), input);
  await postRiskCheck(context.octokit, { owner, repo, headSha: target.headSha }, input);
  log.info(
    { risks: risk.risks.length, conclusion: riskConclusion(risk, justification) },
    'posted diff comment and risk check',
  );
}
