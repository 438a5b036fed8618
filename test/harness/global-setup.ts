// Started once for the whole run; each part registers its own start/stop pair here.
// Tests find the endpoints through environment variables set below.
import { ETCD_ENV, ETCD_ERROR_ENV, startEtcd } from './etcd.js';

type Teardown = () => Promise<void> | void;

const teardowns: Teardown[] = [];

export async function setup(): Promise<void> {
  await setupEtcd();
}

export async function teardown(): Promise<void> {
  for (const stop of teardowns.reverse()) await stop();
}

// One etcd for the whole run (each test file uses its own key prefix). Test forks inherit
// process.env, so SKIFF_TEST_ETCD reaches them. Without CI, a missing etcd only fails the
// tests that need it, with the reason carried in SKIFF_TEST_ETCD_ERROR; in CI it fails the run.
async function setupEtcd(): Promise<void> {
  if (process.env[ETCD_ENV]) return; // An etcd given from outside (a developer's own).
  try {
    const etcd = await startEtcd({ name: 'skiff-test-shared' });
    teardowns.push(() => etcd.stop());
    process.env[ETCD_ENV] = etcd.endpoint;
  } catch (err) {
    const reason = `shared test etcd: ${(err as Error).message}`;
    if (process.env.CI === 'true') throw new Error(reason);
    process.env[ETCD_ERROR_ENV] = reason;
  }
}
