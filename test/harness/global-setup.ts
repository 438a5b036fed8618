// Started once for the whole run; each part registers its own start/stop pair here.
// Tests find the endpoints through environment variables set below.
type Teardown = () => Promise<void> | void;

const teardowns: Teardown[] = [];

export async function setup(): Promise<void> {
  // Shared services (etcd, ...) are added here by the components that need them.
}

export async function teardown(): Promise<void> {
  for (const stop of teardowns.reverse()) await stop();
}
