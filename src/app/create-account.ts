import { createAwsAccount } from '../aws/aws-account.js';
import type { Env } from '../config/env-schema.js';
import { usesAws } from '../config/load-env.js';
import type { Topology } from '../config/topology-schema.js';
import { createSandboxAccount } from '../local/sandbox-account.js';
import { loadSandboxState, sandboxStateSaver } from '../local/sandbox-state-store.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';

/**
 * AWS when credentials are configured, else the simulated sandbox account; given a store, the sandbox keeps
 * its routes and chaos there so a restart shows the same world.
 */
export async function createAccount(props: {
  env: Env;
  topology: Topology;
  clock: Clock;
  log: Logger;
  store?: Store;
}): Promise<Account> {
  if (usesAws(props.env)) return createAwsAccount(props);
  const { store } = props;
  return createSandboxAccount({
    topology: props.topology,
    clock: props.clock,
    ...(store ? { initial: await loadSandboxState(store), persist: sandboxStateSaver(store) } : {}),
  });
}
