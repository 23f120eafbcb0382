import { createAwsAccount } from '../aws/aws-account.js';
import type { AwsClients } from '../aws/clients.js';
import type { Env } from '../config/env-schema.js';
import { usesAws } from '../config/load-env.js';
import type { Topology } from '../config/topology-schema.js';
import { createSandboxAccount, type SandboxAccount } from '../local/sandbox-account.js';
import { SandboxServerCerts } from '../local/sandbox-server-certs.js';
import { loadSandboxState, sandboxStateSaver } from '../local/sandbox-state-store.js';
import type { Logger } from '../log.js';
import type { Account } from '../ports/account.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';

/**
 * AWS when credentials are configured, else the simulated sandbox account (returned as `sandbox` too: the one
 * sandbox check); given a store, the sandbox keeps its routes and chaos there so a restart shows the same world.
 */
export async function createAccount(props: {
  env: Env;
  topology: Topology;
  clock: Clock;
  log: Logger;
  clients: AwsClients;
  store?: Store;
}): Promise<{ account: Account; sandbox?: SandboxAccount }> {
  if (usesAws(props.env)) return { account: createAwsAccount(props) };
  const { store } = props;
  // The simulated servers load what is published in the sandbox's certificate "bucket" when they start.
  const serverCerts = new SandboxServerCerts(props.env.TUNNELOPS_DATA_DIR);
  await serverCerts.startAll(props.topology);
  const sandbox = createSandboxAccount({
    topology: props.topology,
    clock: props.clock,
    serverCerts,
    ...(store ? { initial: await loadSandboxState(store), persist: sandboxStateSaver(store) } : {}),
  });
  return { account: sandbox, sandbox };
}
