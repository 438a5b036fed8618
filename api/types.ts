// The object types Skiff serves. They come from `kubernetes-types`, which is generated from
// Kubernetes' own OpenAPI (v1.30), so every field Kubernetes has is here with its docs.
// This file only names them in one place and adds the few meta types Kubernetes does not
// publish in OpenAPI (Table, PartialObjectMetadata).

import type {
  ObjectMeta,
  ListMeta,
  Status,
  StatusCause,
  StatusDetails,
  DeleteOptions,
  WatchEvent as RawWatchEvent,
  OwnerReference,
  ManagedFieldsEntry,
  LabelSelector,
  LabelSelectorRequirement,
  Condition,
  Preconditions,
  Time,
  MicroTime,
  APIResource,
  APIResourceList,
} from 'kubernetes-types/meta/v1.js';

export type {
  ObjectMeta,
  ListMeta,
  Status,
  StatusCause,
  StatusDetails,
  DeleteOptions,
  RawWatchEvent,
  OwnerReference,
  ManagedFieldsEntry,
  LabelSelector,
  LabelSelectorRequirement,
  Condition,
  Preconditions,
  Time,
  MicroTime,
  APIResource,
  APIResourceList,
};

export type {
  Namespace,
  NamespaceList,
  NamespaceSpec,
  NamespaceStatus,
  Node,
  NodeList,
  NodeSpec,
  NodeStatus,
  NodeCondition,
  NodeAddress,
  Taint,
  Toleration,
  Pod,
  PodList,
  PodSpec,
  PodStatus,
  PodCondition,
  PodTemplateSpec,
  PodSecurityContext,
  Container,
  ContainerPort,
  ContainerStatus,
  ContainerState,
  EnvVar,
  EnvFromSource,
  VolumeMount,
  Volume,
  Probe,
  Lifecycle,
  ResourceRequirements,
  SecurityContext,
  Affinity,
  NodeAffinity,
  NodeSelector,
  NodeSelectorTerm,
  NodeSelectorRequirement,
  PodAffinity,
  PodAntiAffinity,
  PodAffinityTerm,
  TopologySpreadConstraint,
  Binding,
  ObjectReference,
  Service,
  ServiceList,
  ServiceSpec,
  ServicePort,
  ServiceStatus,
  ConfigMap,
  ConfigMapList,
  Secret,
  SecretList,
  Event,
  EventList,
  EventSource,
} from 'kubernetes-types/core/v1.js';

export type {
  Deployment,
  DeploymentList,
  DeploymentSpec,
  DeploymentStatus,
  DeploymentStrategy,
  DeploymentCondition,
  RollingUpdateDeployment,
  ReplicaSet,
  ReplicaSetList,
  ReplicaSetSpec,
  ReplicaSetStatus,
  ReplicaSetCondition,
} from 'kubernetes-types/apps/v1.js';

export type { Lease, LeaseList, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
export type { Scale, ScaleSpec, ScaleStatus } from 'kubernetes-types/autoscaling/v1.js';
export type { Quantity } from 'kubernetes-types/api/resource.js';

/**
 * Any Kubernetes object: what the generic client, storage and informer handle. The `any`
 * index signature is deliberate: it is the one index type every typed interface (Pod,
 * Deployment, ...) is assignable to, so typed objects pass where generic ones are expected.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** A list as the API returns it (`PodList`, ...); items may omit kind/apiVersion. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** One event of a watch stream, typed by the object it carries. */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  /** For ERROR events this is a Status. */
  object: T;
}

/** meta.k8s.io/v1 PartialObjectMetadata: an object reduced to its metadata (Table rows). */
export interface PartialObjectMetadata {
  apiVersion: 'meta.k8s.io/v1';
  kind: 'PartialObjectMetadata';
  metadata: ObjectMeta;
}

/** meta.k8s.io/v1 TableColumnDefinition: one column of server-side `kubectl get` output. */
export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean. */
  type: string;
  /** OpenAPI format; `name` marks the column holding the object name. */
  format: string;
  description: string;
  /** 0: always shown; higher: shown with `-o wide`. */
  priority: number;
}

/** meta.k8s.io/v1 TableRow. */
export interface TableRow {
  cells: unknown[];
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  /** The object (or its PartialObjectMetadata), per `includeObject`. */
  object?: KubeObject | PartialObjectMetadata;
}

/** meta.k8s.io/v1 Table, the server-side printing format kubectl asks for. */
export interface Table {
  apiVersion: 'meta.k8s.io/v1';
  kind: 'Table';
  metadata: ListMeta;
  /** Omitted on watch events after the first (Kubernetes' NoHeaders behaviour). */
  columnDefinitions?: TableColumnDefinition[];
  rows: TableRow[];
}

/**
 * ObjectMeta with the server-set fields (uid, resourceVersion, creationTimestamp, ...) writable;
 * kubernetes-types marks them readonly because clients must not set them. The API server does.
 */
export type ServerObjectMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/** Reference to an object by namespace and name; `namespace` is '' for cluster-scoped objects. */
export interface ObjectKey {
  namespace: string;
  name: string;
}

import type {
  Namespace as NamespaceT,
  Node as NodeT,
  Pod as PodT,
  Service as ServiceT,
  ConfigMap as ConfigMapT,
  Secret as SecretT,
  Event as EventT,
} from 'kubernetes-types/core/v1.js';
import type { Deployment as DeploymentT, ReplicaSet as ReplicaSetT } from 'kubernetes-types/apps/v1.js';
import type { Lease as LeaseT } from 'kubernetes-types/coordination/v1.js';

/** Kind name -> object type, for every kind in the resource table; drives the typed client. */
export interface KindTypes {
  Namespace: NamespaceT;
  Node: NodeT;
  Pod: PodT;
  Service: ServiceT;
  ConfigMap: ConfigMapT;
  Secret: SecretT;
  Event: EventT;
  Deployment: DeploymentT;
  ReplicaSet: ReplicaSetT;
  Lease: LeaseT;
}

/** A kind Skiff serves. */
export type ServedKind = keyof KindTypes;
