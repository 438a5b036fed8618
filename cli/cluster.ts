// What the client verbs (apply, get, delete, version) share: finding the cluster from a
// kubeconfig, naming resources the way kubectl prints them, and turning API errors into
// the lines kubectl users recognise.
import { existsSync } from 'node:fs';
import { ApiError, KubeClient, loadKubeconfig, type ResourceType } from '../api/index.js';

/** Where `skiff server` writes its admin kubeconfig by default. */
export const DEFAULT_SERVER_KUBECONFIG = '/var/lib/skiff/kubeconfig.yaml';

/**
 * A client for --kubeconfig, else $KUBECONFIG, else ~/.kube/config, else the kubeconfig a
 * local `skiff server` wrote (as k3s falls back to its own): a single-node user needs no setup.
 */
export function connect(kubeconfig?: string): KubeClient {
  let path = kubeconfig;
  if (!path && !process.env.KUBECONFIG) {
    const home = `${process.env.HOME ?? ''}/.kube/config`;
    if (!existsSync(home) && existsSync(DEFAULT_SERVER_KUBECONFIG)) path = DEFAULT_SERVER_KUBECONFIG;
  }
  return new KubeClient(loadKubeconfig({ path }), { userAgent: 'skiff-cli/0.1.0' });
}

/** `deployment.apps` / `configmap`: how kubectl names a type in `apply` and `delete` output. */
export function typeName(rt: ResourceType): string {
  return rt.group === '' ? rt.singular : `${rt.singular}.${rt.group}`;
}

/** One line for stderr, in kubectl's shape: `Error from server (NotFound): ...`. */
export function describeError(err: unknown, context?: string): string {
  if (err instanceof ApiError) {
    const message = err.status.message ?? err.message;
    return `Error from server (${err.reason || err.code}): ${context ? `${context}: ` : ''}${message}`;
  }
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${context ? `${context}: ` : ''}${message}`;
}
