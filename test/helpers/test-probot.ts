import { generateKeyPairSync } from 'node:crypto';
import { Probot, ProbotOctokit } from 'probot';
import { loadEnv } from '../../src/config/load-env.js';
import { githubDeps } from '../../src/features/github.js';
import { githubApp } from '../../src/github/github-app.js';
import { silentLogger } from '../../src/log.js';
import type { Chat } from '../../src/ports/chat.js';
import type { Store } from '../../src/ports/store.js';
import { demoTopology } from './test-app.js';

const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();

/** The GitHub App on a Probot with retry and throttle off (app id 123), for `probot.receive` tests with nock. */
export function testProbot(store: Store, chat: Chat): Probot {
  const probot = new Probot({
    appId: 123,
    privateKey,
    logLevel: 'fatal',
    // Probot's throttle ignores the object form; the function form really turns retry and throttle off.
    Octokit: ProbotOctokit.defaults((o: Record<string, any>) => ({
      ...o,
      retry: { enabled: false },
      throttle: { ...o.throttle, enabled: false },
    })),
  });
  const env = loadEnv({ TUNNELOPS_DEPLOY_ENVIRONMENTS: 'staging,prod' });
  probot.load(
    githubApp(
      githubDeps({
        topology: demoTopology(),
        store,
        chat,
        clock: { now: () => Date.now() },
        log: silentLogger(),
        env,
      }),
    ),
  );
  return probot;
}
