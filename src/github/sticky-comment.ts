import type { Context } from 'probot';
import type { Store } from '../ports/store.js';
import { COMMENT_MARKER, type DiffCommentInput } from './diff-comment.js';

type Octokit = Context['octokit'];

export interface StickyState {
  commentId: number;
  input: DiffCommentInput;
}

const NS = 'pr-comment';
const keyOf = (owner: string, repo: string, pr: number) => `${owner}/${repo}#${pr}`;

/** One tunnelops comment per PR: created once, then edited. Its id is kept in the store; the marker finds it otherwise. */
export class StickyComment {
  constructor(private readonly store: Store) {}

  async state(owner: string, repo: string, pr: number): Promise<StickyState | null> {
    return (await this.store.get<StickyState>(NS, keyOf(owner, repo, pr)))?.value ?? null;
  }

  async upsert(
    octokit: Octokit,
    owner: string,
    repo: string,
    pr: number,
    body: string,
    input: DiffCommentInput,
  ): Promise<number> {
    let commentId =
      (await this.state(owner, repo, pr))?.commentId ?? (await this.findByMarker(octokit, owner, repo, pr));
    if (commentId) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body });
    } else {
      const res = await octokit.rest.issues.createComment({ owner, repo, issue_number: pr, body });
      commentId = res.data.id;
    }
    await this.store.put<StickyState>(NS, keyOf(owner, repo, pr), { commentId, input });
    return commentId;
  }

  private async findByMarker(
    octokit: Octokit,
    owner: string,
    repo: string,
    pr: number,
  ): Promise<number | null> {
    const res = await octokit.rest.issues.listComments({ owner, repo, issue_number: pr, per_page: 100 });
    return res.data.find((c) => c.body?.includes(COMMENT_MARKER))?.id ?? null;
  }
}
