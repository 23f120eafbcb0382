/**
 * How long the server container takes to stop, phase by phase (images/openvpn-server/entrypoint.sh's stop_all):
 * the monitor's goodbye first (it reports the tunnel down and, if it carries traffic, moves it while openvpn
 * still runs), then openvpn, then our iptables rules. ECS kills the container `stopTimeout` after SIGTERM, so
 * infra/ sets the container's stopTimeout from this budget and passes the phases to the entrypoint: a goodbye
 * cut short by SIGKILL would leave traffic on a dying tunnel until the peer noticed.
 */
export const SERVER_STOP_BUDGET = {
  /** The goodbye: a failover run takes a 10 s lease and a few ReplaceRoute rounds. */
  monitorSeconds: 15,
  /** openvpn's own exit after SIGTERM. */
  openvpnSeconds: 5,
  /** Rule cleanup and process exit. */
  marginSeconds: 5,
} as const;

/** The ECS container stopTimeout the budget needs (ECS on EC2 allows up to 120 s). */
export const serverStopTimeoutSeconds = (): number =>
  SERVER_STOP_BUDGET.monitorSeconds + SERVER_STOP_BUDGET.openvpnSeconds + SERVER_STOP_BUDGET.marginSeconds;
