// Starts the real API server (HTTPS on port 0, SQLite in a temp dir) for the client and
// informer tests, and a client built from the kubeconfig it writes, as a user's would be.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../apiserver/index.js';
import { KubeClient, loadKubeconfig } from '../../api/index.js';

export interface TestCluster {
  server: ApiServer;
  client: KubeClient;
  stop(): Promise<void>;
}

export async function startTestCluster(opts: { bookmarkIntervalMs?: number } = {}): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'skiff-api-test-'));
  let server: ApiServer;
  try {
    server = await startApiServer({ dataDir, port: 0, host: '127.0.0.1', bookmarkIntervalMs: opts.bookmarkIntervalMs, progressIntervalMs: 100 });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const client = new KubeClient(loadKubeconfig({ path: server.kubeconfigPath }));
  return {
    server,
    client,
    stop: async () => {
      client.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
