import type { ApplicationFunction } from 'probot';
import { onCheckRunRerequested } from './check-rerun.js';
import { onIssueComment } from './deploy-command.js';
import { onDeploymentStatus } from './deployment-status.js';
import type { GithubDeps } from './deps.js';
import { onDiffWorkflowCompleted } from './diff-report.js';
import { onPullRequestEdited } from './pr-edited.js';

/** The Probot app: diff + risk on PRs, `/deploy` and `/unlock`, deployment status to the PR and Slack. */
export function githubApp(deps: GithubDeps): ApplicationFunction {
  return (app) => {
    app.on('workflow_run.completed', (context) => onDiffWorkflowCompleted(context, deps));
    app.on('issue_comment.created', (context) => onIssueComment(context, deps));
    app.on('deployment_status', (context) => onDeploymentStatus(context, deps));
    app.on('check_run.rerequested', (context) => onCheckRunRerequested(context, deps));
    app.on('pull_request.edited', (context) => onPullRequestEdited(context, deps));
  };
}
