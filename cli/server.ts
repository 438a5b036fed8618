// `skiff server`: the control plane of a single-node cluster. Today that is the API server
// (HTTPS, SQLite or etcd) and the controllers in controllers/; the scheduler and a node
// agent for this machine (what --disable-agent will turn off) join it as they land.
import { Command, InvalidArgumentError } from 'commander';
import { KubeClient } from '../api/index.js';
import { startApiServer } from '../apiserver/index.js';
import { startControllers } from '../controllers/index.js';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535; 0 picks a free port)');
  return n;
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('skiff server')
    .description('run a single-node cluster: the Kubernetes API over HTTPS, with state in SQLite or etcd')
    .option('--data-dir <dir>', 'where state, certificates and the admin kubeconfig live', '/var/lib/skiff')
    .option('--https-port <port>', 'HTTPS port of the API (0 picks a free port)', parsePort, 6443)
    .option('--etcd-endpoints <urls>', 'comma-separated etcd URLs; without it state is kept in DATA_DIR/state.db')
    .option('--disable-agent', 'do not run a node agent on this machine')
    .exitOverride();
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code ?? 1;
  }
  const o = program.opts<{ dataDir: string; httpsPort: number; etcdEndpoints?: string; disableAgent?: boolean }>();
  const etcdEndpoints = o.etcdEndpoints?.split(',').map((s) => s.trim()).filter(Boolean);
  let server;
  try {
    server = await startApiServer({ dataDir: o.dataDir, port: o.httpsPort, etcdEndpoints });
  } catch (err) {
    console.error(`skiff server: start the API server in ${o.dataDir}: ${(err as Error).message}`);
    return 1;
  }
  console.log(`skiff server: API listening on ${server.url} (port ${server.port}), state in ${etcdEndpoints?.length ? `etcd ${etcdEndpoints.join(',')}` : `${o.dataDir}/state.db`}`);
  // Controllers are ordinary API clients, even in the same process: they talk to the
  // server over HTTPS with the admin credentials, exactly as they would from elsewhere.
  const client = KubeClient.fromKubeconfig({ path: server.kubeconfigPath }, { userAgent: 'skiff-controllers/0.1.0' });
  let controllers;
  try {
    controllers = await startControllers(client, {
      onError: (controller, key, err) => console.error(`skiff server: ${controller} controller, ${key}: ${(err as Error).message}`),
    });
  } catch (err) {
    console.error(`skiff server: start controllers: ${(err as Error).message}`);
    await server.close();
    return 1;
  }
  console.log(`skiff server: admin kubeconfig written to ${server.kubeconfigPath}`);
  console.log(`skiff server: export KUBECONFIG=${server.kubeconfigPath}`);
  console.log(`skiff server: nodes join with the token in ${o.dataDir}/node-token`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`skiff server: ${signal} received, shutting down`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await controllers.stop();
  client.close();
  await server.close();
  return 0;
}
