import { writeFileSync } from 'node:fs';
import { SlackStandin } from '../../src/local/slack-standin.js';

/**
 * The lab's Slack: the stand-in Web API as its own process (lab:up leaves it running), every call in a JSON-lines
 * transcript, hanging every call while the hang file exists. It runs in the VPC router's namespace on one of its
 * addresses, which every server host routes to (a namespace's loopback is its own).
 * Usage: lab-slack.ts <transcript> <hang file> <url file> <listen address>
 */
const [transcriptPath, hangFile, urlFile, host] = process.argv.slice(2);
if (!transcriptPath || !hangFile || !urlFile || !host) {
  console.error('usage: lab-slack.ts <transcript> <hang file> <url file> <listen address>');
  process.exit(2);
}
const standin = new SlackStandin({ transcriptPath, hangFile });
const url = await standin.start(0, host);
writeFileSync(urlFile, url);
const stop = () => void standin.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
