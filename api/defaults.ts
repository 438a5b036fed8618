// Server-side defaulting, as Kubernetes applies it when an object is decoded (the
// SetDefaults_* functions of k8s.io/kubernetes/pkg/apis/{core,apps}/v1). Defaults are part
// of the stored object: `kubectl describe` prints them, server-side apply keys container
// ports by (containerPort, protocol), and the Deployment controller reads the strategy.
//
// Only fields the user left unset are filled; nothing the user wrote is changed.

import type {
  Container,
  Deployment,
  Namespace,
  Node,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicaSet,
  Secret,
  Service,
  Volume,
} from './types.js';
import type { KubeObject } from './types.js';
import { canonicalQuantity } from './quantity.js';

// Quantities written as JSON numbers (cpu: 0.5) are stored as Kubernetes stores them ("500m").
function canonicalizeList(list: Record<string, string | number> | undefined): void {
  if (!list) return;
  for (const [k, v] of Object.entries(list)) list[k] = canonicalQuantity(v);
}

/**
 * The pull policy Kubernetes picks when none is given: Always for `:latest` or an image
 * with neither tag nor digest, IfNotPresent otherwise. `host:5000/app` has no tag.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'Always';
  return image.slice(colon + 1) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: Probe | undefined): void {
  if (!probe) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) {
    probe.httpGet.path ??= '/';
    probe.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(c: Container): void {
  canonicalizeList(c.resources?.limits);
  canonicalizeList(c.resources?.requests);
  // Kubernetes defaults even an empty image (to Always); validation then reports the image.
  c.imagePullPolicy ??= defaultPullPolicy(c.image ?? '');
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const port of c.ports ?? []) port.protocol ??= 'TCP';
  for (const env of c.env ?? []) {
    if (env.valueFrom?.fieldRef) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  for (const handler of [c.lifecycle?.postStart, c.lifecycle?.preStop]) {
    if (handler?.httpGet) {
      handler.httpGet.path ??= '/';
      handler.httpGet.scheme ??= 'HTTP';
    }
  }
}

// Pod-only defaults: Kubernetes applies these to Pods but not to pod templates, so a
// Deployment's stored template keeps exactly the resources and ports the user wrote.
function defaultPodContainer(c: Container, hostNetwork: boolean): void {
  // With the host's network the container port is the host port.
  if (hostNetwork) for (const port of c.ports ?? []) port.hostPort ??= port.containerPort;
  // A limit without a request means the request equals the limit.
  const limits = c.resources?.limits;
  if (limits && Object.keys(limits).length > 0) {
    const requests = (c.resources!.requests ??= {});
    for (const [name, value] of Object.entries(limits)) requests[name] ??= value;
  }
}

function defaultVolume(v: Volume): void {
  const sources = Object.keys(v).filter((k) => k !== 'name');
  if (sources.length === 0) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= 0o644;
  if (v.configMap) v.configMap.defaultMode ??= 0o644;
  if (v.downwardAPI) {
    v.downwardAPI.defaultMode ??= 0o644;
    for (const item of v.downwardAPI.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ??= 'v1';
  }
  if (v.projected) v.projected.defaultMode ??= 0o644;
  if (v.hostPath) v.hostPath.type ??= '';
  if (v.emptyDir?.sizeLimit !== undefined) v.emptyDir.sizeLimit = canonicalQuantity(v.emptyDir.sizeLimit);
}

/** Fills the defaults of a pod spec, as for Deployment and ReplicaSet templates (Pods get a few more). */
export function defaultPodSpec(spec: PodSpec): PodSpec {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  canonicalizeList(spec.overhead);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c as Container);
  for (const v of spec.volumes ?? []) defaultVolume(v);
  return spec;
}

function defaultTemplate(template: PodTemplateSpec | undefined): void {
  if (template?.spec) defaultPodSpec(template.spec);
}

function defaultPod(pod: Pod): void {
  if (!pod.spec) return;
  defaultPodSpec(pod.spec);
  const hostNetwork = pod.spec.hostNetwork === true;
  for (const c of [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])]) defaultPodContainer(c, hostNetwork);
}

function defaultDeployment(d: Deployment): void {
  if (!d.spec) return;
  const spec = d.spec;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec.template);
}

function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  rs.spec.replicas ??= 1;
  defaultTemplate(rs.spec.template);
}

function defaultService(svc: Service): void {
  if (!svc.spec) return;
  const spec = svc.spec;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (spec.type !== 'ExternalName') spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
}

function defaultSecret(secret: Secret): void {
  secret.type ??= 'Opaque';
}

function defaultNamespace(ns: Namespace): void {
  // Namespaces carry their own name as a label (GA in 1.22) so selectors can match them.
  const name = ns.metadata?.name;
  if (name) {
    ns.metadata!.labels ??= {};
    ns.metadata!.labels['kubernetes.io/metadata.name'] = name;
  }
  ns.spec ??= {};
  ns.spec.finalizers ??= ['kubernetes'];
  ns.status ??= {};
  ns.status.phase ??= 'Active';
}

function defaultNode(node: Node): void {
  // A node that reports only capacity can allocate all of it.
  const status = node.status;
  canonicalizeList(status?.capacity);
  canonicalizeList(status?.allocatable);
  if (status?.capacity && !status.allocatable) status.allocatable = { ...status.capacity };
}

const defaulters: Record<string, (obj: never) => void> = {
  'v1/Pod': defaultPod,
  'v1/Service': defaultService,
  'v1/Secret': defaultSecret,
  'v1/Namespace': defaultNamespace,
  'v1/Node': defaultNode,
  'apps/v1/Deployment': defaultDeployment,
  'apps/v1/ReplicaSet': defaultReplicaSet,
};

/**
 * Applies Kubernetes' defaults to `obj` in place (by its apiVersion and kind) and returns it.
 * Kinds without defaults are returned unchanged. Call on a freshly decoded object, never on
 * one shared with a cache.
 */
export function applyDefaults<T extends KubeObject>(obj: T): T {
  const fn = defaulters[`${obj.apiVersion}/${obj.kind}`];
  if (fn) fn(obj as never);
  return obj;
}
