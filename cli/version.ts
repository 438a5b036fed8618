// `skiff version`: the client's version and, when a cluster is reachable, the server's.
import { Command } from 'commander';
import { connect, describeError } from './cluster.js';

export const CLIENT_VERSION = 'v0.1.0';

export async function main(argv: string[]): Promise<number> {
  const cmd = new Command('skiff version')
    .option('--client', 'print only the client version')
    .option('--kubeconfig <file>', 'kubeconfig to use')
    .exitOverride();
  cmd.parse(argv, { from: 'user' });
  const opts = cmd.opts<{ client?: boolean; kubeconfig?: string }>();
  console.log(`Client Version: skiff ${CLIENT_VERSION}`);
  if (opts.client) return 0;
  let client;
  try {
    client = connect(opts.kubeconfig);
    const info = await client.request<{ gitVersion?: string; major?: string; minor?: string }>({ method: 'GET', path: '/version', what: 'get server version' });
    console.log(`Server Version: ${info.gitVersion ?? `v${info.major}.${info.minor}`}`);
    return 0;
  } catch (err) {
    console.error(describeError(err));
    return 1;
  } finally {
    client?.close();
  }
}
