import type { Topology } from '../config/topology-schema.js';
import type { Logger } from '../log.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import type { DeployLock } from './deploy-lock.js';
import type { StickyComment } from './sticky-comment.js';

/** What the GitHub App's handlers need; built once in src/features/github.ts. */
export interface GithubDeps {
  topology: Topology;
  store: Store;
  chat: Chat;
  clock: Clock;
  log: Logger;
  locks: DeployLock;
  comments: StickyComment;
  /** Environments `/deploy` accepts. */
  environments: string[];
  /** Name of the workflow that runs `cdk diff` on PRs and uploads the `cdk-diff` artifact. */
  diffWorkflow: string;
}

/** Paths whose change makes a PR an infrastructure change. */
export const isInfraPath = (file: string): boolean =>
  file.startsWith('infra/') || file.startsWith('images/') || file === 'tunnels.yml' || file === 'cdk.json';

export const CHECK_NAME = 'tunnelops / tunnel risk';
