import type { Context } from 'probot';
import { parseBoundedJson } from '../domain/bounded-json.js';
import { type CdkDiff, parseCdkDiffText } from '../domain/cdk-diff.js';
import { assessTunnelRisk, riskJustification } from '../domain/tunnel-risk.js';
import { type GithubDeps, isInfraPath } from './deps.js';
import { type DiffCommentInput, renderDiffComment, riskConclusion } from './diff-comment.js';
import { readZip, ZIP_LIMITS, ZipError } from './read-zip.js';
import { postRiskCheck } from './risk-check.js';

/** The PR diff workflow uploads `cdk-diff` with cdk-diff.json ({stacks}) or the raw cdk-diff.txt. */
async function downloadDiff(
  context: Context<'workflow_run.completed'>,
  runId: number,
): Promise<CdkDiff | null> {
  const { owner, repo } = context.repo();
  const list = await context.octokit.rest.actions.listWorkflowRunArtifacts({ owner, repo, run_id: runId });
  const artifact = list.data.artifacts.find((a) => a.name === 'cdk-diff' && !a.expired);
  if (!artifact) return null;
  if (artifact.size_in_bytes > ZIP_LIMITS.maxArchiveBytes)
    throw new ZipError(
      `cdk-diff artifact is ${artifact.size_in_bytes} bytes; the limit is ${ZIP_LIMITS.maxArchiveBytes}`,
    );
  const zip = await context.octokit.rest.actions.downloadArtifact({
    owner,
    repo,
    artifact_id: artifact.id,
    archive_format: 'zip',
  });
  const files = readZip(Buffer.from(zip.data as ArrayBuffer));
  const json = files.get('cdk-diff.json');
  if (json) {
    const parsed = parseBoundedJson(json.toString('utf8'), {
      maxBytes: ZIP_LIMITS.maxInflatedBytes,
      maxDepth: 32,
    }) as Partial<CdkDiff> | null;
    if (!parsed || !Array.isArray(parsed.stacks)) throw new Error('cdk-diff.json has no "stacks" array');
    return parsed as CdkDiff;
  }
  const text = files.get('cdk-diff.txt');
  return text ? parseCdkDiffText(text.toString('utf8')) : null;
}

/** workflow_run.completed of the diff workflow: sticky comment + check run with the tunnel risk. */
export async function onDiffWorkflowCompleted(
  context: Context<'workflow_run.completed'>,
  deps: GithubDeps,
): Promise<void> {
  const run = context.payload.workflow_run;
  if (run.name !== deps.diffWorkflow || run.conclusion !== 'success') return;
  const { owner, repo } = context.repo();
  for (const pr of run.pull_requests) {
    if (!pr) continue;
    const log = deps.log.child({ pr: pr.number, run: run.id });
    const files = await context.octokit.rest.pulls.listFiles({
      owner,
      repo,
      pull_number: pr.number,
      per_page: 100,
    });
    if (!files.data.some((f) => isInfraPath(f.filename))) {
      log.info('PR does not touch infra/, images/ or the topology; no diff comment');
      continue;
    }
    const diff = await downloadDiff(context, run.id);
    if (!diff) {
      log.warn('diff workflow succeeded but uploaded no cdk-diff artifact');
      continue;
    }
    const pull = await context.octokit.rest.pulls.get({ owner, repo, pull_number: pr.number });
    const risk = assessTunnelRisk(deps.topology, diff);
    const justification = riskJustification(pull.data.body);
    const previous = await deps.comments.state(owner, repo, pr.number);
    const input: DiffCommentInput = {
      sha: run.head_sha,
      diff,
      risk,
      justification,
      detailsUrl: run.html_url,
      ...(previous?.input.deployments ? { deployments: previous.input.deployments } : {}),
    };
    await deps.comments.upsert(context.octokit, owner, repo, pr.number, renderDiffComment(input), input);
    await postRiskCheck(context.octokit, { owner, repo, headSha: run.head_sha }, input);
    log.info(
      { risks: risk.risks.length, conclusion: riskConclusion(risk, justification) },
      'posted diff comment and risk check',
    );
  }
}
