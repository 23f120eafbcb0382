import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { topologySchema } from '../../src/config/topology-schema.js';
import { NetnsRouteTables } from '../../src/local/netns-route-tables.js';
import { LAB_PREFIX, Lab } from './lab.js';
import { namespacesFor } from './lab-network.js';
import { heartbeatHealth, readHeartbeats } from './lab-observe.js';
import { APP_IP, PLAN, routeTableNumbers, SERVICE_IP, TUNNELS } from './lab-plan.js';
import { labRequirementProblems } from './lab-requirements.js';
import { deleteNamespacesWithPrefix } from './netns.js';

/**
 * npm run lab:up     -> builds the lab in production shape and leaves it running: both servers with openvpn and
 *                       their monitors (fast path + peer detection) as the image entrypoints run them, the
 *                       backstop, the Slack stand-in, one shared SQLite store, route changes delayed by
 *                       LAB_ROUTE_DELAY_MS (200). Last line: JSON with the namespaces.
 * npm run lab:status -> which tunnel the routes point at, each route, each tunnel's health. Last line: JSON.
 * npm run lab:down   -> removes it; `lab:down -- --all` removes every lab namespace (e.g. after a crashed run).
 */
const CLI_ID = 'cli';
const CLI_PREFIX = `${LAB_PREFIX}${CLI_ID}-`;

async function up(): Promise<void> {
  await down(CLI_PREFIX);
  const lab = await Lab.up({ id: CLI_ID, log: (m) => console.log(m) });
  const n = lab.ns;
  console.log(`
Lab is up (files in ${lab.root}; store ${lab.files.store}; Slack transcript ${lab.files.transcript}).
  app host        ${n.app} (${APP_IP})        vpc router (route tables) ${n.vpc}
  servers         ${n.server.primary} (${PLAN.primary.serverVpcIp}), ${n.server.secondary} (${PLAN.secondary.serverVpcIp})
  clients         ${n.client.primary}, ${n.client.secondary}
  on-prem         ${n.onPremRouter} -> ${n.service} (${SERVICE_IP})      wan ${n.wan}
Try:
  ip netns exec ${n.app} ping ${SERVICE_IP}
  npm run lab:status                                         # active tunnel, routes, health
  kill -9 $(cat ${lab.runDir('server', 'primary')}/openvpn.pid)   # the primary's openvpn dies
  ip netns pids ${n.server.primary} | xargs kill -9; ip -n ${n.server.primary} link set eth0 down; ip -n ${n.server.primary} link set wan0 down   # its host dies
Remove with: npm run lab:down`);
  console.log(
    JSON.stringify({
      lab: 'up',
      namespaces: { app: n.app, vpc: n.vpc, servers: n.server, clients: n.client },
      serviceIp: SERVICE_IP,
    }),
  );
}

async function status(): Promise<void> {
  const root = readdirSync(tmpdir()).find((e) => e.startsWith(CLI_PREFIX));
  if (!root) throw new Error('no lab is up: run npm run lab:up');
  const dir = join(tmpdir(), root);
  const site = topologySchema.parse(parse(readFileSync(join(dir, 'tunnels.yml'), 'utf8'))).sites[0]!;
  const ns = namespacesFor(CLI_PREFIX);
  const adapter = new NetnsRouteTables({
    namespace: ns.vpc,
    tables: routeTableNumbers(site.routeTableIds),
    nextHops: { [site.name]: Object.fromEntries(TUNNELS.map((t) => [t, PLAN[t].serverVpcIp])) },
  });
  const obs = (await adapter.observe([site])).get(site.name);
  if (!obs?.ok) throw new Error(`cannot read the lab's route tables: ${obs?.reason ?? 'no answer'}`);
  const routes = obs.value.map((r) => ({ routeTableId: r.routeTableId, cidr: r.cidr, tunnel: r.tunnel }));
  const tunnels = new Set(routes.map((r) => r.tunnel));
  const active = tunnels.size === 1 ? ([...tunnels][0] ?? null) : null;
  const beats = readHeartbeats(join(dir, 'data', 'tunnelops.sqlite'), site.name);
  const staleMs = site.failover.fall * site.failover.probeIntervalSeconds * 1000;
  const health = Object.fromEntries(TUNNELS.map((t) => [t, heartbeatHealth(beats[t], Date.now(), staleMs)]));
  for (const r of routes) console.log(`${r.routeTableId} ${r.cidr} -> ${r.tunnel ?? 'nowhere'}`);
  console.log(
    `active: ${active ?? 'none (routes disagree or point nowhere)'}; health: ${JSON.stringify(health)}`,
  );
  console.log(JSON.stringify({ active, routes, health }));
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
  if (command === 'status') return status();
  if (command === 'down') return down(flag === '--all' ? LAB_PREFIX : CLI_PREFIX);
  console.error('usage: lab-cli.ts up | status | down [--all]');
  process.exit(2);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
