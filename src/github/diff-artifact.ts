import type { Context } from 'probot';
import { z } from 'zod';
import { parseBoundedJson } from '../domain/bounded-json.js';
import { type CdkDiff, parseCdkDiffText } from '../domain/cdk-diff.js';
import { BadRequestError } from '../domain/errors.js';
import { readZip, ZIP_LIMITS, ZipError } from './read-zip.js';

/** The PR a diff belongs to, as cdk-diff.yml writes it: the number from the PR's own artifact (untrusted). */
export interface DiffTarget {
  number: number;
  headSha: string;
}

interface DiffArtifact {
  diff: CdkDiff;
  /** pr.json, when the diff ran in the workflow_run workflow (absent from the older one-job workflow). */
  pr?: DiffTarget;
}

const PR_JSON = z
  .object({
    number: z.number().int().positive().max(1e9),
    head_sha: z.string().regex(/^[0-9a-f]{40}$/, 'head_sha is not a commit SHA'),
  })
  .strict();

/** pr.json: bounded before parsing, then exactly `{number, head_sha}`; anything else is refused. */
function parsePrJson(bytes: Buffer): DiffTarget {
  const parsed = PR_JSON.safeParse(parseBoundedJson(bytes.toString('utf8'), { maxBytes: 1024, maxDepth: 2 }));
  if (!parsed.success)
    throw new BadRequestError(`pr.json is not {number, head_sha}: ${parsed.error.issues[0]?.message}`);
  return { number: parsed.data.number, headSha: parsed.data.head_sha };
}

/**
 * The `cdk-diff` artifact of a run: cdk-diff.json ({stacks}) or the raw cdk-diff.txt, and pr.json. Its size is
 * checked before downloading, and readZip bounds the archive and what it inflates to.
 */
export async function downloadDiffArtifact(
  context: Context<'workflow_run.completed'>,
  runId: number,
): Promise<DiffArtifact | null> {
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
  const diff = diffOf(files);
  if (!diff) return null;
  const pr = files.get('pr.json');
  return pr ? { diff, pr: parsePrJson(pr) } : { diff };
}

function diffOf(files: Map<string, Buffer>): CdkDiff | null {
  const json = files.get('cdk-diff.json');
  if (json) {
    const parsed = parseBoundedJson(json.toString('utf8'), {
      maxBytes: ZIP_LIMITS.maxInflatedBytes,
      maxDepth: 32,
    }) as Partial<CdkDiff> | null;
    if (!parsed || !Array.isArray(parsed.stacks))
      throw new BadRequestError('cdk-diff.json has no "stacks" array');
    return parsed as CdkDiff;
  }
  const text = files.get('cdk-diff.txt');
  return text ? parseCdkDiffText(text.toString('utf8')) : null;
}
