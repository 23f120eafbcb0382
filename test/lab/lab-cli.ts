import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAB_PREFIX, Lab } from './lab.js';
import { APP_IP, SERVICE_IP } from './lab-plan.js';
import { labRequirementProblems } from './lab-requirements.js';
import { deleteNamespacesWithPrefix } from './netns.js';

/**
 * npm run lab:up   -> builds the lab (namespaces, PKI, both tunnels) and leaves it running.
 * npm run lab:down -> removes it; `lab:down -- --all` removes every lab namespace (e.g. after a crashed test run).
 */
const CLI_ID = 'cli';

async function up(): Promise<void> {
  await down(`${LAB_PREFIX}${CLI_ID}-`);
  const lab = await Lab.up({ id: CLI_ID, log: (m) => console.log(m) });
  const n = lab.ns;
  console.log(`
Lab is up (files in ${lab.root}). Namespaces:
  app host        ${n.app} (${APP_IP})        vpc router (route tables) ${n.vpc}
  servers         ${n.server.primary}, ${n.server.secondary}
  clients         ${n.client.primary}, ${n.client.secondary}
  on-prem         ${n.onPremRouter} -> ${n.service} (${SERVICE_IP})      wan ${n.wan}
Try:
  ip netns exec ${n.app} ping ${SERVICE_IP}
  ip -n ${n.vpc} route show table 101                    # the "VPC route table"
  kill -9 $(cat ${lab.runDir('server', 'primary')}/openvpn.pid)  # break the primary
Remove with: npm run lab:down`);
}

async function down(prefix: string): Promise<void> {
  const removed = await deleteNamespacesWithPrefix(prefix);
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith(prefix)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  if (removed.length) console.log(`removed ${removed.length} namespaces: ${removed.join(' ')}`);
}

async function main(): Promise<void> {
  const [command, flag] = process.argv.slice(2);
  const problems = await labRequirementProblems();
  if (problems.length) {
    console.error(`The lab cannot run here: ${problems.join('; ')}`);
    process.exit(2);
  }
  if (command === 'up') return up();
  if (command === 'down') return down(flag === '--all' ? LAB_PREFIX : `${LAB_PREFIX}${CLI_ID}-`);
  console.error('usage: lab-cli.ts up | down [--all]');
  process.exit(2);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
