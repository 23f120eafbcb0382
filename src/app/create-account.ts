import { createAwsAccount } from '../aws/aws-account.js';
import type { Env } from '../config/env-schema.js';
import { usesAws } from '../config/load-env.js';
import type { Topology } from '../config/topology-schema.js';
import { createSandboxAccount } from '../local/sandbox-account.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Clock } from '../ports/clock.js';

/** AWS when credentials are configured, else the simulated sandbox account. */
export function createAccount(props: { env: Env; topology: Topology; clock: Clock; log: Logger }): Account {
  if (usesAws(props.env)) return createAwsAccount(props);
  return createSandboxAccount({ topology: props.topology, clock: props.clock });
}
