// Kubernetes validation, reporting each problem as Kubernetes does: a cause with a reason
// (FieldValueRequired, ...), the field path and the message Kubernetes prints, so that
// `kubectl apply` shows the same "spec.containers[0].image: Required value" a real cluster
// shows. The rules follow k8s.io/kubernetes/pkg/apis/{core,apps,coordination}/validation.
//
// Structural problems (unknown fields, wrong JSON types) are schema.ts's job; this file
// assumes the object decoded.

import { labelSelectorMatches } from './labels.js';
import { parseQuantity, quantityPattern } from './quantity.js';
import { findByApiVersionKind } from './resources.js';
import type {
  Affinity,
  ConfigMap,
  Container,
  ContainerPort,
  Deployment,
  Event,
  KubeObject,
  LabelSelector,
  Lease,
  Namespace,
  Node,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  ObjectMeta,
  PodAffinityTerm,
  Pod,
  PodSpec,
  PodTemplateSpec,
  Probe,
  ReplicaSet,
  Secret,
  Service,
  Toleration,
  TopologySpreadConstraint,
  Volume,
} from './types.js';

/** Kubernetes' metav1.CauseType values used for field errors. */
export type CauseReason =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueForbidden'
  | 'FieldValueNotFound'
  | 'FieldValueTypeInvalid';

/** One field problem, shaped like a Status `details.causes` entry. */
export interface FieldCause {
  reason: CauseReason;
  /** Path as Kubernetes prints it: 'spec.template.spec.containers[0].image'. */
  field: string;
  /** Kubernetes' wording without the field: 'Required value', 'Invalid value: "Foo": ...'. */
  message: string;
}

// ---- building causes --------------------------------------------------------------------

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

const required = (field: string, detail?: string): FieldCause => ({
  reason: 'FieldValueRequired',
  field,
  message: detail ? `Required value: ${detail}` : 'Required value',
});
const invalid = (field: string, value: unknown, detail: string): FieldCause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `Invalid value: ${show(value)}: ${detail}`,
});
const notSupported = (field: string, value: unknown, supported: string[]): FieldCause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `Unsupported value: ${show(value)}: supported values: ${supported.map((s) => `"${s}"`).join(', ')}`,
});
const duplicate = (field: string, value: unknown): FieldCause => ({
  reason: 'FieldValueDuplicate',
  field,
  message: `Duplicate value: ${show(value)}`,
});
const forbidden = (field: string, detail: string): FieldCause => ({
  reason: 'FieldValueForbidden',
  field,
  message: `Forbidden: ${detail}`,
});
const notFound = (field: string, value: unknown): FieldCause => ({
  reason: 'FieldValueNotFound',
  field,
  message: `Not found: ${show(value)}`,
});
const tooLong = (field: string, max: number): FieldCause => ({
  reason: 'FieldValueTooLong',
  field,
  message: `Too long: must have at most ${max} bytes`,
});

/** "spec.replicas: Invalid value: -1: must be greater than or equal to 0" */
export function formatCause(c: FieldCause): string {
  return c.field ? `${c.field}: ${c.message}` : c.message;
}

/**
 * The Status message Kubernetes returns for a 422: `Deployment.apps "web" is invalid: <cause>`
 * with one cause, or `[<cause>, <cause>]` with several.
 */
export function formatInvalidMessage(qualifiedKind: string, name: string, causes: FieldCause[]): string {
  const parts = causes.map(formatCause);
  const body = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return `${qualifiedKind} "${name}" is invalid: ${body}`;
}

// ---- name and label rules (apimachinery/pkg/util/validation) ----------------------------

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const labelValueFmt = `(${qualifiedNameFmt})?`;
const configKeyFmt = '[-._a-zA-Z0-9]+';
const envVarNameFmt = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const full = (fmt: string): RegExp => new RegExp(`^${fmt}$`);

function maxLen(n: number): string {
  return `must be no more than ${n} characters`;
}

/** Problems with `value` as an RFC 1123 label (namespace names, container names); [] if valid. */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!full(dns1123LabelFmt).test(value)) {
    errs.push(
      `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '${dns1123LabelFmt}')`,
    );
  }
  return errs;
}

/** Problems with `value` as an RFC 1123 subdomain (most object names); [] if valid. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!full(dns1123SubdomainFmt).test(value)) {
    errs.push(
      `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '${dns1123SubdomainFmt}')`,
    );
  }
  return errs;
}

/** Problems with `value` as an RFC 1035 label (Service names); [] if valid. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!full(dns1035LabelFmt).test(value)) {
    errs.push(
      `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '${dns1035LabelFmt}')`,
    );
  }
  return errs;
}

/** Problems with a label or annotation key ('app', 'example.com/tier'); [] if valid. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) name = parts[0]!;
  else if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const e of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${e}`);
  } else {
    return [
      `a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${qualifiedNameFmt}') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLen(63)}`);
  if (name.length > 0 && !full(qualifiedNameFmt).test(name)) {
    errs.push(
      `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '${qualifiedNameFmt}')`,
    );
  }
  return errs;
}

/** Problems with a label value; [] if valid (the empty string is valid). */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLen(63));
  if (!full(labelValueFmt).test(value)) {
    errs.push(
      `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '${labelValueFmt}')`,
    );
  }
  return errs;
}

/** Problems with a ConfigMap/Secret key; [] if valid. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLen(253));
  if (!full(configKeyFmt).test(value)) {
    errs.push(
      `a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${configKeyFmt}')`,
    );
  }
  if (value === '.') errs.push(`must not be '.'`);
  else if (value === '..') errs.push(`must not be '..'`);
  else if (value.startsWith('..')) errs.push(`must not start with '..'`);
  return errs;
}

/** Problems with a port name (IANA_SVC_NAME, RFC 6335); [] if valid. */
export function isValidPortName(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 15) errs.push(maxLen(15));
  if (!/^[-a-z0-9]+$/.test(value)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(value)) errs.push('must contain at least one letter (a-z)');
  if (value.includes('--')) errs.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) errs.push('must not begin or end with a hyphen');
  return errs;
}

function portRange(field: string, port: number | undefined): FieldCause[] {
  if (port === undefined || (Number.isInteger(port) && port >= 1 && port <= 65535)) return [];
  return [invalid(field, port, 'must be between 1 and 65535, inclusive')];
}

function nonNegative(field: string, v: number | undefined): FieldCause[] {
  return v !== undefined && v < 0 ? [invalid(field, v, 'must be greater than or equal to 0')] : [];
}

function each(field: string, value: unknown, errs: string[]): FieldCause[] {
  return errs.map((e) => invalid(field, value, e));
}

// ---- object metadata ----------------------------------------------------------------

type NameRule = (name: string) => string[];

const totalAnnotationSizeLimit = 256 * 1024;

function validateLabels(labels: Record<string, string> | undefined, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    out.push(...each(field, k, isQualifiedName(k)));
    out.push(...each(field, v, isValidLabelValue(v)));
  }
  return out;
}

function validateAnnotations(annotations: Record<string, string> | undefined, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    out.push(...each(field, k, isQualifiedName(k.toLowerCase())));
    size += k.length + v.length;
  }
  if (size > totalAnnotationSizeLimit) out.push(tooLong(field, totalAnnotationSizeLimit));
  return out;
}

/** ObjectMeta checks shared by every kind (ValidateObjectMeta). */
export function validateObjectMeta(meta: ObjectMeta | undefined, namespaced: boolean, nameRule: NameRule, field = 'metadata'): FieldCause[] {
  const out: FieldCause[] = [];
  const m = meta ?? {};
  if (m.generateName && !m.name) {
    // generateName is a prefix: Kubernetes checks it with its trailing '-' removed.
    const prefix = m.generateName.endsWith('-') ? m.generateName.slice(0, -1) : m.generateName;
    out.push(...each(`${field}.generateName`, m.generateName, prefix ? nameRule(prefix) : []));
  }
  if (!m.name) {
    if (!m.generateName) out.push(required(`${field}.name`, 'name or generateName is required'));
  } else {
    out.push(...each(`${field}.name`, m.name, nameRule(m.name)));
  }
  if (namespaced) {
    if (!m.namespace) out.push(required(`${field}.namespace`));
    else out.push(...each(`${field}.namespace`, m.namespace, isDNS1123Label(m.namespace)));
  } else if (m.namespace) {
    out.push(forbidden(`${field}.namespace`, 'not allowed on this type'));
  }
  out.push(...nonNegative(`${field}.generation`, m.generation));
  out.push(...validateLabels(m.labels, `${field}.labels`));
  out.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  (m.ownerReferences ?? []).forEach((ref, i) => {
    const f = `${field}.ownerReferences[${i}]`;
    if (!ref.apiVersion) out.push(invalid(`${f}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) out.push(invalid(`${f}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) out.push(invalid(`${f}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) out.push(invalid(`${f}.uid`, ref.uid ?? '', 'uid must not be empty'));
  });
  if ((m.ownerReferences ?? []).filter((r) => r.controller).length > 1) {
    out.push(invalid(`${field}.ownerReferences`, m.ownerReferences, 'Only one reference can have Controller set to true'));
  }
  (m.finalizers ?? []).forEach((f, i) => {
    out.push(...each(`${field}.finalizers[${i}]`, f, isQualifiedName(f)));
  });
  return out;
}

// ---- pods ------------------------------------------------------------------------------

const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const protocols = ['SCTP', 'TCP', 'UDP'];
const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];
const standardResources = ['cpu', 'memory', 'ephemeral-storage', 'storage'];

function validateResourceList(list: Record<string, string | number> | undefined, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  for (const [name, q] of Object.entries(list ?? {})) {
    const f = `${field}[${name}]`;
    if (!name.includes('/') && !standardResources.includes(name) && !name.startsWith('hugepages-')) {
      out.push(invalid(f, name, 'must be a standard resource for containers'));
      continue;
    }
    const v = parseQuantity(q);
    if (v === undefined) out.push(invalid(f, q, `quantities must match the regular expression '${quantityPattern}'`));
    else if (v < 0) out.push(invalid(f, q, 'must be greater than or equal to 0'));
  }
  return out;
}

function validateProbe(probe: Probe | undefined, field: string, mustSucceedOnce: boolean): FieldCause[] {
  if (!probe) return [];
  const out: FieldCause[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((h) => (probe as Record<string, unknown>)[h] !== undefined);
  if (handlers.length === 0) out.push(required(field, 'must specify a handler type'));
  else if (handlers.length > 1) out.push(forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    out.push(...nonNegative(`${field}.${k}`, probe[k]));
  }
  // Liveness and startup probes must stop at the first success.
  if (mustSucceedOnce && probe.successThreshold !== undefined && probe.successThreshold !== 1) {
    out.push(invalid(`${field}.successThreshold`, probe.successThreshold, 'must be 1'));
  }
  if (probe.httpGet) out.push(...validatePortNumOrName(probe.httpGet.port, `${field}.httpGet.port`));
  if (probe.tcpSocket) out.push(...validatePortNumOrName(probe.tcpSocket.port, `${field}.tcpSocket.port`));
  if (probe.exec && (probe.exec.command ?? []).length === 0) out.push(required(`${field}.exec.command`));
  return out;
}

function validatePortNumOrName(port: number | string | undefined, field: string): FieldCause[] {
  if (port === undefined) return [required(field)];
  if (typeof port === 'number') return portRange(field, port);
  if (/^[0-9]+$/.test(port)) return portRange(field, Number(port));
  return each(field, port, isValidPortName(port));
}

function validateContainerPorts(ports: ContainerPort[] | undefined, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (p.name) {
      out.push(...each(`${f}.name`, p.name, isValidPortName(p.name)));
      if (names.has(p.name)) out.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    if (p.containerPort === undefined || p.containerPort === 0) out.push(required(`${f}.containerPort`));
    else out.push(...portRange(`${f}.containerPort`, p.containerPort));
    if (p.hostPort !== undefined && p.hostPort !== 0) out.push(...portRange(`${f}.hostPort`, p.hostPort));
    if (p.protocol === undefined || p.protocol === '') out.push(required(`${f}.protocol`));
    else if (!protocols.includes(p.protocol)) out.push(notSupported(`${f}.protocol`, p.protocol, protocols));
  });
  return out;
}

function validateContainer(c: Container, field: string, volumes: Set<string>, isInit: boolean): FieldCause[] {
  const out: FieldCause[] = [];
  if (!c.name) out.push(required(`${field}.name`));
  else out.push(...each(`${field}.name`, c.name, isDNS1123Label(c.name)));
  // Kubernetes also rejects an image that is only whitespace.
  if (!c.image || c.image.trim() === '') out.push(required(`${field}.image`));
  else if (c.image.trim() !== c.image) out.push(invalid(`${field}.image`, c.image, 'must not have leading or trailing whitespace'));
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === '') out.push(required(`${field}.imagePullPolicy`));
  else if (!pullPolicies.includes(c.imagePullPolicy)) out.push(notSupported(`${field}.imagePullPolicy`, c.imagePullPolicy, pullPolicies));
  if (c.terminationMessagePolicy !== undefined && !terminationMessagePolicies.includes(c.terminationMessagePolicy)) {
    out.push(notSupported(`${field}.terminationMessagePolicy`, c.terminationMessagePolicy, terminationMessagePolicies));
  }
  out.push(...validateContainerPorts(c.ports, `${field}.ports`));
  (c.env ?? []).forEach((e, i) => {
    const f = `${field}.env[${i}]`;
    if (!e.name) out.push(required(`${f}.name`));
    else if (!full(envVarNameFmt).test(e.name)) {
      out.push(
        invalid(
          `${f}.name`,
          e.name,
          `a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '${envVarNameFmt}')`,
        ),
      );
    }
    if (e.valueFrom) {
      const sources = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef'].filter(
        (k) => (e.valueFrom as Record<string, unknown>)[k] !== undefined,
      );
      if (e.value !== undefined && e.value !== '') out.push(invalid(`${f}.valueFrom`, '', 'may not be specified when `value` is not empty'));
      if (sources.length === 0) out.push(invalid(`${f}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (sources.length > 1) out.push(invalid(`${f}.valueFrom`, '', 'may not have more than one field specified at a time'));
    }
  });
  const mountPaths = new Set<string>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    const f = `${field}.volumeMounts[${i}]`;
    if (!m.name) out.push(required(`${f}.name`));
    else if (!volumes.has(m.name)) out.push(notFound(`${f}.name`, m.name));
    if (!m.mountPath) out.push(required(`${f}.mountPath`));
    else {
      if (mountPaths.has(m.mountPath)) out.push(invalid(`${f}.mountPath`, m.mountPath, 'must be unique'));
      mountPaths.add(m.mountPath);
    }
    if (m.subPath && (m.subPath.startsWith('/') || m.subPath.split('/').includes('..'))) {
      out.push(invalid(`${f}.subPath`, m.subPath, "must be a relative path without '..'"));
    }
  });
  out.push(...validateResourceList(c.resources?.limits, `${field}.resources.limits`));
  out.push(...validateResourceList(c.resources?.requests, `${field}.resources.requests`));
  for (const [name, req] of Object.entries(c.resources?.requests ?? {})) {
    const lim = c.resources?.limits?.[name];
    if (lim === undefined) continue;
    const r = parseQuantity(req);
    const l = parseQuantity(lim);
    if (r !== undefined && l !== undefined && r > l) {
      out.push(invalid(`${field}.resources.requests`, String(req), `must be less than or equal to ${name} limit of ${lim}`));
    }
  }
  if (isInit && c.restartPolicy === undefined) {
    // Plain init containers may not have probes or lifecycle hooks; sidecars (restartPolicy Always) may.
    for (const k of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
      if (c[k]) out.push(forbidden(`${field}.${k}`, `may not be set for init containers without restartPolicy=Always`));
    }
  } else {
    out.push(...validateProbe(c.livenessProbe, `${field}.livenessProbe`, true));
    out.push(...validateProbe(c.readinessProbe, `${field}.readinessProbe`, false));
    out.push(...validateProbe(c.startupProbe, `${field}.startupProbe`, true));
  }
  if (c.restartPolicy !== undefined) {
    if (!isInit) out.push(forbidden(`${field}.restartPolicy`, 'may not be set for non-init containers'));
    else if (c.restartPolicy !== 'Always') out.push(notSupported(`${field}.restartPolicy`, c.restartPolicy, ['Always']));
  }
  return out;
}

function validateVolumes(volumes: Volume[] | undefined, field: string): { causes: FieldCause[]; names: Set<string> } {
  const out: FieldCause[] = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const f = `${field}[${i}]`;
    if (!v.name) out.push(required(`${f}.name`));
    else {
      out.push(...each(`${f}.name`, v.name, isDNS1123Label(v.name)));
      if (names.has(v.name)) out.push(duplicate(`${f}.name`, v.name));
      names.add(v.name);
    }
    const sources = volumeSources.filter((s) => (v as unknown as Record<string, unknown>)[s] !== undefined);
    if (sources.length === 0) out.push(required(f, 'must specify a volume type'));
    else if (sources.length > 1) out.push(forbidden(`${f}.${sources[1]}`, 'may not specify more than 1 volume type'));
    if (v.hostPath && !v.hostPath.path) out.push(required(`${f}.hostPath.path`));
    if (v.configMap && !v.configMap.name) out.push(required(`${f}.configMap.name`));
    if (v.secret && !v.secret.secretName) out.push(required(`${f}.secret.secretName`));
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) out.push(required(`${f}.persistentVolumeClaim.claimName`));
    for (const mode of [v.secret?.defaultMode, v.configMap?.defaultMode, v.projected?.defaultMode, v.downwardAPI?.defaultMode]) {
      if (mode !== undefined && (mode < 0 || mode > 0o777)) {
        out.push(invalid(`${f}.${sources[0]}.defaultMode`, mode, 'must be a number between 0 and 0777 (octal), both inclusive'));
      }
    }
  });
  return { causes: out, names };
}

function validateTolerations(tolerations: Toleration[] | undefined, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  (tolerations ?? []).forEach((t, i) => {
    const f = `${field}[${i}]`;
    if (t.key) out.push(...each(`${f}.key`, t.key, isQualifiedName(t.key)));
    if (!t.key && t.operator !== 'Exists') out.push(invalid(`${f}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.operator !== undefined && t.operator !== '' && !['Equal', 'Exists'].includes(t.operator)) {
      out.push(notSupported(`${f}.operator`, t.operator, ['Equal', 'Exists']));
    }
    if (t.operator === 'Exists' && t.value) out.push(invalid(`${f}.operator`, t.value, 'value must be empty when `operator` is \'Exists\''));
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      out.push(invalid(`${f}.effect`, t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set'));
    }
    if (t.effect !== undefined && t.effect !== '' && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      out.push(notSupported(`${f}.effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return out;
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (values.length === 0) out.push(required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (values.length > 0) out.push(forbidden(`${field}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1) out.push(required(`${field}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      else if (!/^-?[0-9]+$/.test(values[0]!)) out.push(invalid(`${field}.values[0]`, values[0], 'must be an integer'));
      break;
    default:
      out.push(notSupported(`${field}.operator`, r.operator, ['DoesNotExist', 'Exists', 'Gt', 'In', 'Lt', 'NotIn']));
  }
  out.push(...each(`${field}.key`, r.key, isQualifiedName(r.key)));
  return out;
}

function validateNodeSelectorTerm(term: NodeSelectorTerm, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  (term.matchExpressions ?? []).forEach((r, i) => out.push(...validateNodeSelectorRequirement(r, `${field}.matchExpressions[${i}]`)));
  (term.matchFields ?? []).forEach((r, i) => {
    const f = `${field}.matchFields[${i}]`;
    // Only metadata.name is a supported node field, with In/NotIn and exactly one value.
    if (r.key !== 'metadata.name') out.push(invalid(`${f}.key`, r.key, 'not a valid field selector key'));
    else if ((r.operator === 'In' || r.operator === 'NotIn') && (r.values ?? []).length !== 1) {
      out.push(required(`${f}.values`, "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
    }
  });
  return out;
}

function validateLabelSelectorField(sel: LabelSelector | undefined, field: string): FieldCause[] {
  if (!sel) return [];
  const out: FieldCause[] = [];
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator)) {
      out.push(notSupported(`${f}.operator`, e.operator, ['DoesNotExist', 'Exists', 'In', 'NotIn']));
    } else if ((e.operator === 'In' || e.operator === 'NotIn') && (e.values ?? []).length === 0) {
      out.push(required(`${f}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && (e.values ?? []).length > 0) {
      out.push(forbidden(`${f}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    }
    out.push(...each(`${f}.key`, e.key, isQualifiedName(e.key)));
  });
  out.push(...validateLabels(sel.matchLabels, `${field}.matchLabels`));
  return out;
}

function validatePodAffinityTerm(term: PodAffinityTerm, field: string): FieldCause[] {
  const out = validateLabelSelectorField(term.labelSelector, `${field}.labelSelector`);
  if (!term.topologyKey) out.push(required(`${field}.topologyKey`, 'can not be empty'));
  else out.push(...each(`${field}.topologyKey`, term.topologyKey, isQualifiedName(term.topologyKey)));
  return out;
}

function validateWeight(weight: number | undefined, field: string): FieldCause[] {
  return weight !== undefined && (weight < 1 || weight > 100) ? [invalid(field, weight, 'must be in the range 1-100')] : [];
}

function validateAffinity(affinity: Affinity | undefined, field: string): FieldCause[] {
  if (!affinity) return [];
  const out: FieldCause[] = [];
  const na = affinity.nodeAffinity;
  if (na?.requiredDuringSchedulingIgnoredDuringExecution) {
    const f = `${field}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
    const terms = na.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms ?? [];
    if (terms.length === 0) out.push(required(`${f}.nodeSelectorTerms`, 'must have at least one node selector term'));
    terms.forEach((t, i) => out.push(...validateNodeSelectorTerm(t, `${f}.nodeSelectorTerms[${i}]`)));
  }
  (na?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((p, i) => {
    const f = `${field}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
    out.push(...validateWeight(p.weight, `${f}.weight`));
    out.push(...validateNodeSelectorTerm(p.preference ?? {}, `${f}.preference`));
  });
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = affinity[kind];
    (pa?.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) =>
      out.push(...validatePodAffinityTerm(t, `${field}.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`)),
    );
    (pa?.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
      const f = `${field}.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      out.push(...validateWeight(w.weight, `${f}.weight`));
      out.push(...validatePodAffinityTerm(w.podAffinityTerm, `${f}.podAffinityTerm`));
    });
  }
  return out;
}

function validateTopologySpread(constraints: TopologySpreadConstraint[] | undefined, field: string): FieldCause[] {
  const out: FieldCause[] = [];
  const seen = new Set<string>();
  (constraints ?? []).forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (c.maxSkew === undefined || c.maxSkew <= 0) out.push(invalid(`${f}.maxSkew`, c.maxSkew ?? 0, 'must be greater than zero'));
    if (!c.topologyKey) out.push(required(`${f}.topologyKey`, 'can not be empty'));
    const when = ['DoNotSchedule', 'ScheduleAnyway'];
    if (!when.includes(c.whenUnsatisfiable)) out.push(notSupported(`${f}.whenUnsatisfiable`, c.whenUnsatisfiable, when));
    const pair = `{${c.topologyKey}, ${c.whenUnsatisfiable}}`;
    if (seen.has(pair)) out.push(duplicate(f, pair));
    seen.add(pair);
    if (c.minDomains !== undefined) {
      if (c.minDomains <= 0) out.push(invalid(`${f}.minDomains`, c.minDomains, 'must be greater than 0'));
      else if (c.whenUnsatisfiable !== 'DoNotSchedule') {
        out.push(invalid(`${f}.minDomains`, c.minDomains, 'can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway'));
      }
    }
    out.push(...validateLabelSelectorField(c.labelSelector, `${f}.labelSelector`));
  });
  return out;
}

/** ValidatePodSpec: containers, volumes, policies. `field` is where the spec sits ('spec', 'spec.template.spec'). */
export function validatePodSpec(spec: PodSpec | undefined, field: string): FieldCause[] {
  if (!spec) return [required(field)];
  const out: FieldCause[] = [];
  const vols = validateVolumes(spec.volumes, `${field}.volumes`);
  out.push(...vols.causes);
  if (!spec.containers || spec.containers.length === 0) out.push(required(`${field}.containers`));
  // Container names are unique across init and app containers.
  const names = new Set<string>();
  const checkList = (list: Container[] | undefined, listField: string, isInit: boolean): void => {
    (list ?? []).forEach((c, i) => {
      const f = `${listField}[${i}]`;
      out.push(...validateContainer(c, f, vols.names, isInit));
      if (c.name) {
        if (names.has(c.name)) out.push(duplicate(`${f}.name`, c.name));
        names.add(c.name);
      }
    });
  };
  checkList(spec.initContainers, `${field}.initContainers`, true);
  checkList(spec.containers, `${field}.containers`, false);
  if (spec.restartPolicy === undefined || spec.restartPolicy === '') out.push(required(`${field}.restartPolicy`));
  else if (!restartPolicies.includes(spec.restartPolicy)) out.push(notSupported(`${field}.restartPolicy`, spec.restartPolicy, restartPolicies));
  if (spec.dnsPolicy === undefined || spec.dnsPolicy === '') out.push(required(`${field}.dnsPolicy`));
  else if (!dnsPolicies.includes(spec.dnsPolicy)) out.push(notSupported(`${field}.dnsPolicy`, spec.dnsPolicy, dnsPolicies));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) out.push(required(`${field}.dnsConfig`, "must provide `dnsConfig` when `dnsPolicy` is None"));
  out.push(...nonNegative(`${field}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds));
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > 2147483647)) {
    out.push(invalid(`${field}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive'));
  }
  out.push(...validateLabels(spec.nodeSelector, `${field}.nodeSelector`));
  if (spec.nodeName) out.push(...each(`${field}.nodeName`, spec.nodeName, isDNS1123Subdomain(spec.nodeName)));
  if (spec.serviceAccountName) out.push(...each(`${field}.serviceAccountName`, spec.serviceAccountName, isDNS1123Subdomain(spec.serviceAccountName)));
  if (spec.hostname) out.push(...each(`${field}.hostname`, spec.hostname, isDNS1123Label(spec.hostname)));
  if (spec.subdomain) out.push(...each(`${field}.subdomain`, spec.subdomain, isDNS1123Label(spec.subdomain)));
  out.push(...validateTolerations(spec.tolerations, `${field}.tolerations`));
  out.push(...validateAffinity(spec.affinity, `${field}.affinity`));
  out.push(...validateTopologySpread(spec.topologySpreadConstraints, `${field}.topologySpreadConstraints`));
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) out.push(required(`${field}.imagePullSecrets[${i}].name`));
  });
  if (spec.hostNetwork) {
    // With the host's network a container port is a host port, so they must agree.
    (spec.containers ?? []).forEach((c, ci) =>
      (c.ports ?? []).forEach((p, pi) => {
        if (p.hostPort !== undefined && p.hostPort !== p.containerPort) {
          out.push(invalid(`${field}.containers[${ci}].ports[${pi}].containerPort`, p.containerPort, 'must match `hostPort` when `hostNetwork` is true'));
        }
      }),
    );
  }
  return out;
}

function validatePodTemplate(template: PodTemplateSpec | undefined, field: string): FieldCause[] {
  if (!template) return [required(field)];
  const out: FieldCause[] = [];
  out.push(...validateLabels(template.metadata?.labels, `${field}.metadata.labels`));
  out.push(...validateAnnotations(template.metadata?.annotations, `${field}.metadata.annotations`));
  out.push(...validatePodSpec(template.spec, `${field}.spec`));
  return out;
}

function validatePod(pod: Pod): FieldCause[] {
  return [...validateObjectMeta(pod.metadata, true, isDNS1123Subdomain), ...validatePodSpec(pod.spec, 'spec')];
}

// ---- workloads (apps/v1) ----------------------------------------------------------------

function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  kind: string,
): FieldCause[] {
  const out: FieldCause[] = [];
  if (!selector) {
    out.push(required('spec.selector'));
  } else {
    out.push(...validateLabelSelectorField(selector, 'spec.selector'));
    const empty = Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
    if (empty) out.push(invalid('spec.selector', selector, `empty selector is invalid for ${kind}`));
    else if (template && !labelSelectorMatches(selector, template.metadata?.labels)) {
      // Kubernetes >= 1.31 prints the value as JSON: Invalid value: {"app":"web"}.
      out.push(invalid('spec.template.metadata.labels', template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
    }
  }
  out.push(...validatePodTemplate(template, 'spec.template'));
  return out;
}

const percentFmt = '[0-9]+%';

function validateIntOrPercent(v: number | string | undefined, field: string): { causes: FieldCause[]; zero: boolean } {
  if (v === undefined) return { causes: [], zero: true };
  if (typeof v === 'number') return { causes: nonNegative(field, v), zero: v === 0 };
  if (!full(percentFmt).test(v)) {
    return {
      causes: [invalid(field, v, `a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '${percentFmt}')`)],
      zero: false,
    };
  }
  const pct = Number(v.slice(0, -1));
  return { causes: pct > 100 ? [invalid(field, v, 'must not be greater than 100%')] : [], zero: pct === 0 };
}

function validateDeployment(d: Deployment): FieldCause[] {
  const out = validateObjectMeta(d.metadata, true, isDNS1123Subdomain);
  const spec = d.spec;
  if (!spec) return [...out, required('spec')];
  out.push(...nonNegative('spec.replicas', spec.replicas));
  out.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'deployment'));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') out.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    out.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  const strategy = spec.strategy ?? {};
  if (!strategy.type) out.push(required('spec.strategy.type'));
  else if (!['Recreate', 'RollingUpdate'].includes(strategy.type)) {
    out.push(notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
  } else if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    out.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
  } else if (strategy.type === 'RollingUpdate') {
    const ru = strategy.rollingUpdate;
    if (!ru) out.push(required('spec.strategy.rollingUpdate', 'this should be defaulted and never be nil'));
    else {
      const unavailable = validateIntOrPercent(ru.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable');
      const surge = validateIntOrPercent(ru.maxSurge, 'spec.strategy.rollingUpdate.maxSurge');
      out.push(...unavailable.causes, ...surge.causes);
      if (unavailable.zero && surge.zero && unavailable.causes.length === 0 && surge.causes.length === 0) {
        out.push(invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'));
      }
    }
  }
  out.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  out.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (spec.progressDeadlineSeconds !== undefined) {
    out.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      out.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return out;
}

function validateReplicaSet(rs: ReplicaSet): FieldCause[] {
  const out = validateObjectMeta(rs.metadata, true, isDNS1123Subdomain);
  const spec = rs.spec;
  if (!spec) return [...out, required('spec')];
  out.push(...nonNegative('spec.replicas', spec.replicas));
  out.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  out.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'replicaset'));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') out.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  return out;
}

// ---- services, config, events, nodes, namespaces, leases -----------------------------

const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];

function validateService(svc: Service): FieldCause[] {
  const out = validateObjectMeta(svc.metadata, true, isDNS1035Label);
  const spec = svc.spec;
  if (!spec) return [...out, required('spec')];
  const type = spec.type ?? 'ClusterIP';
  if (!serviceTypes.includes(type)) out.push(notSupported('spec.type', type, serviceTypes));
  const headless = spec.clusterIP === 'None';
  const ports = spec.ports ?? [];
  if (type === 'ExternalName') {
    if (!spec.externalName) out.push(required('spec.externalName'));
    else out.push(...each('spec.externalName', spec.externalName, isDNS1123Subdomain(spec.externalName.replace(/\.$/, ''))));
  } else if (ports.length === 0 && !headless) {
    out.push(required('spec.ports'));
  }
  const names = new Set<string>();
  const keys = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) out.push(required(`${f}.name`));
    if (p.name) {
      out.push(...each(`${f}.name`, p.name, isDNS1123Label(p.name)));
      if (names.has(p.name)) out.push(duplicate(`${f}.name`, p.name));
      names.add(p.name);
    }
    if (p.port === undefined) out.push(required(`${f}.port`));
    else out.push(...portRange(`${f}.port`, p.port));
    const protocol = p.protocol ?? 'TCP';
    if (!protocols.includes(protocol)) out.push(notSupported(`${f}.protocol`, protocol, protocols));
    const key = `${p.port}/${protocol}`;
    if (keys.has(key)) out.push(duplicate(f, { port: p.port, protocol }));
    keys.add(key);
    if (p.targetPort !== undefined) out.push(...validatePortNumOrName(p.targetPort, `${f}.targetPort`));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (type === 'ClusterIP' || type === 'ExternalName') out.push(forbidden(`${f}.nodePort`, `may not be used when \`type\` is '${type}'`));
      else out.push(...portRange(`${f}.nodePort`, p.nodePort));
    }
  });
  if (spec.sessionAffinity !== undefined && !['ClientIP', 'None'].includes(spec.sessionAffinity)) {
    out.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, ['ClientIP', 'None']));
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    out.push(invalid('spec.sessionAffinityConfig.clientIP.timeoutSeconds', timeout, 'must be greater than 0 and less than 86400'));
  }
  out.push(...validateLabels(spec.selector, 'spec.selector'));
  if (spec.clusterIP && spec.clusterIP !== 'None' && !isIP(spec.clusterIP)) {
    out.push(invalid('spec.clusterIPs[0]', spec.clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
  }
  return out;
}

function isIP(s: string): boolean {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  return v4.test(s) || (/^[0-9a-fA-F:]+$/.test(s) && s.includes(':'));
}

const maxConfigSize = 1024 * 1024;

function validateKeys(data: Record<string, string> | undefined, binary: Record<string, string> | undefined): FieldCause[] {
  const out: FieldCause[] = [];
  let size = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    out.push(...each(`data[${k}]`, k, isConfigMapKey(k)));
    if (binary && k in binary) out.push(invalid(`data[${k}]`, k, 'duplicate of key present in binaryData'));
    size += v.length;
  }
  for (const [k, v] of Object.entries(binary ?? {})) {
    out.push(...each(`binaryData[${k}]`, k, isConfigMapKey(k)));
    size += v.length;
  }
  if (size > maxConfigSize) out.push(tooLong('', maxConfigSize));
  return out;
}

function validateConfigMap(cm: ConfigMap): FieldCause[] {
  return [...validateObjectMeta(cm.metadata, true, isDNS1123Subdomain), ...validateKeys(cm.data, cm.binaryData)];
}

function validateSecret(secret: Secret): FieldCause[] {
  const out = validateObjectMeta(secret.metadata, true, isDNS1123Subdomain);
  const data = secret.data ?? {};
  let size = 0;
  for (const [k, v] of Object.entries(data)) {
    out.push(...each(`data[${k}]`, k, isConfigMapKey(k)));
    size += Math.floor((v.length * 3) / 4);
  }
  for (const k of Object.keys(secret.stringData ?? {})) out.push(...each(`stringData[${k}]`, k, isConfigMapKey(k)));
  if (size > maxConfigSize) out.push(tooLong('data', maxConfigSize));
  const has = (k: string): boolean => k in data || k in (secret.stringData ?? {});
  switch (secret.type) {
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) out.push(required('data[tls.crt]'));
      if (!has('tls.key')) out.push(required('data[tls.key]'));
      break;
    case 'kubernetes.io/dockerconfigjson':
      if (!has('.dockerconfigjson')) out.push(required('data[.dockerconfigjson]'));
      break;
    case 'kubernetes.io/dockercfg':
      if (!has('.dockercfg')) out.push(required('data[.dockercfg]'));
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) out.push(required('data[username]'));
      break;
    case 'kubernetes.io/ssh-auth':
      if (!has('ssh-privatekey')) out.push(required('data[ssh-privatekey]'));
      break;
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        out.push(required('metadata.annotations[kubernetes.io/service-account.name]'));
      }
      break;
  }
  return out;
}

function validateEvent(ev: Event): FieldCause[] {
  const out = validateObjectMeta(ev.metadata, true, isDNS1123Subdomain);
  const ns = ev.metadata?.namespace;
  const io = ev.involvedObject;
  if (!io) out.push(required('involvedObject'));
  else if (io.namespace && ns && io.namespace !== ns) out.push(invalid('involvedObject.namespace', io.namespace, 'does not match event.namespace'));
  if (ev.type && !['Normal', 'Warning'].includes(ev.type)) out.push(notSupported('type', ev.type, ['Normal', 'Warning']));
  if ((ev.reason ?? '').length > 128) out.push(tooLong('reason', 128));
  return out;
}

function validateNode(node: Node): FieldCause[] {
  const out = validateObjectMeta(node.metadata, false, isDNS1123Subdomain);
  (node.spec?.taints ?? []).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    if (!t.key) out.push(required(`${f}.key`));
    else out.push(...each(`${f}.key`, t.key, isQualifiedName(t.key)));
    if (t.value) out.push(...each(`${f}.value`, t.value, isValidLabelValue(t.value)));
    if (!t.effect) out.push(required(`${f}.effect`));
    else if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect)) {
      out.push(notSupported(`${f}.effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    }
  });
  return out;
}

function validateNamespace(ns: Namespace): FieldCause[] {
  const out = validateObjectMeta(ns.metadata, false, isDNS1123Label);
  (ns.spec?.finalizers ?? []).forEach((f, i) => out.push(...each(`spec.finalizers[${i}]`, f, isQualifiedName(f))));
  return out;
}

function validateLease(lease: Lease): FieldCause[] {
  const out = validateObjectMeta(lease.metadata, true, isDNS1123Subdomain);
  const d = lease.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0) out.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  out.push(...nonNegative('spec.leaseTransitions', lease.spec?.leaseTransitions));
  return out;
}

const createValidators: Record<string, (obj: never) => FieldCause[]> = {
  'v1/Pod': validatePod,
  'v1/Service': validateService,
  'v1/ConfigMap': validateConfigMap,
  'v1/Secret': validateSecret,
  'v1/Event': validateEvent,
  'v1/Node': validateNode,
  'v1/Namespace': validateNamespace,
  'apps/v1/Deployment': validateDeployment,
  'apps/v1/ReplicaSet': validateReplicaSet,
  'coordination.k8s.io/v1/Lease': validateLease,
};

/**
 * Validates an object about to be created (after defaulting, as Kubernetes orders it).
 * Returns every problem found; [] means valid.
 */
export function validateCreate(obj: KubeObject): FieldCause[] {
  const fn = createValidators[`${obj.apiVersion}/${obj.kind}`];
  if (!fn) {
    const rt = obj.apiVersion && obj.kind ? findByApiVersionKind(obj.apiVersion, obj.kind) : undefined;
    return [notSupported('kind', obj.kind ?? '', rt ? [rt.kind] : [])];
  }
  return fn(obj as never);
}

// ---- updates ------------------------------------------------------------------------------

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const immutable = (field: string, value: unknown): FieldCause => invalid(field, value, 'field is immutable');

/** Immutable-field check: a cause when `next` differs from `prev` (deep, key-order blind). */
export function checkImmutable(field: string, next: unknown, prev: unknown): FieldCause[] {
  return same(next, prev) ? [] : [immutable(field, next ?? null)];
}

function validateObjectMetaUpdate(next: ObjectMeta | undefined, prev: ObjectMeta | undefined): FieldCause[] {
  const n = next ?? {};
  const p = prev ?? {};
  const out: FieldCause[] = [];
  out.push(...checkImmutable('metadata.name', n.name, p.name));
  out.push(...checkImmutable('metadata.namespace', n.namespace ?? '', p.namespace ?? ''));
  if (n.uid !== undefined && p.uid !== undefined) out.push(...checkImmutable('metadata.uid', n.uid, p.uid));
  if (n.creationTimestamp && p.creationTimestamp) {
    out.push(...checkImmutable('metadata.creationTimestamp', n.creationTimestamp, p.creationTimestamp));
  }
  if (p.deletionTimestamp) {
    // An object on its way out may lose finalizers but never gain one.
    const added = (n.finalizers ?? []).filter((f) => !(p.finalizers ?? []).includes(f));
    if (added.length > 0) {
      out.push(forbidden('metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
    }
  }
  if (p.deletionTimestamp && n.deletionTimestamp && n.deletionTimestamp !== p.deletionTimestamp) {
    out.push(immutable('metadata.deletionTimestamp', n.deletionTimestamp));
  }
  if (p.deletionGracePeriodSeconds !== undefined && n.deletionGracePeriodSeconds !== undefined
    && n.deletionGracePeriodSeconds !== p.deletionGracePeriodSeconds) {
    out.push(immutable('metadata.deletionGracePeriodSeconds', n.deletionGracePeriodSeconds));
  }
  return out;
}

// The only pod spec fields Kubernetes lets an update change (ValidatePodUpdate).
const podUpdateMessage =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function validatePodUpdate(next: Pod, prev: Pod): FieldCause[] {
  const out: FieldCause[] = [];
  const n = structuredClone(next.spec ?? {}) as PodSpec;
  const p = structuredClone(prev.spec ?? {}) as PodSpec;
  // Blank out what may change, then demand the rest is equal.
  const mutableImages = (a: PodSpec, b: PodSpec, key: 'containers' | 'initContainers'): void => {
    (a[key] ?? []).forEach((c, i) => {
      const other = b[key]?.[i];
      if (other) c.image = other.image;
    });
  };
  mutableImages(n, p, 'containers');
  mutableImages(n, p, 'initContainers');
  if (p.activeDeadlineSeconds !== undefined && n.activeDeadlineSeconds === undefined) {
    out.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  if (n.activeDeadlineSeconds !== undefined && p.activeDeadlineSeconds !== undefined && n.activeDeadlineSeconds > p.activeDeadlineSeconds) {
    out.push(invalid('spec.activeDeadlineSeconds', n.activeDeadlineSeconds, 'must be less than or equal to previous value'));
  }
  n.activeDeadlineSeconds = p.activeDeadlineSeconds;
  const prevTolerations = p.tolerations ?? [];
  const keptAll = prevTolerations.every((t) => (n.tolerations ?? []).some((u) => same(t, u)));
  if (keptAll) n.tolerations = p.tolerations;
  if ((p.terminationGracePeriodSeconds ?? 0) < 0 && n.terminationGracePeriodSeconds === 1) {
    n.terminationGracePeriodSeconds = p.terminationGracePeriodSeconds;
  }
  // Scheduling gates may only be removed; the binding sets nodeName once.
  if ((n.schedulingGates ?? []).every((g) => (p.schedulingGates ?? []).some((h) => h.name === g.name))) n.schedulingGates = p.schedulingGates;
  if (!same(n, p)) out.push(forbidden('spec', podUpdateMessage));
  return out;
}

// Status as written by the controllers (ValidateDeploymentStatus / ValidateReplicaSetStatus).
function validateWorkloadStatus(status: Record<string, number | undefined> | undefined): FieldCause[] {
  if (!status) return [];
  const out: FieldCause[] = [];
  for (const k of ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'fullyLabeledReplicas', 'observedGeneration', 'collisionCount']) {
    out.push(...nonNegative(`status.${k}`, status[k]));
  }
  const replicas = status.replicas ?? 0;
  const ready = status.readyReplicas ?? 0;
  const available = status.availableReplicas ?? 0;
  const greater = 'cannot be greater than status.replicas';
  if ((status.fullyLabeledReplicas ?? 0) > replicas) out.push(invalid('status.fullyLabeledReplicas', status.fullyLabeledReplicas, greater));
  if (ready > replicas) out.push(invalid('status.readyReplicas', ready, greater));
  if (available > replicas) out.push(invalid('status.availableReplicas', available, greater));
  if (available > ready) out.push(invalid('status.availableReplicas', available, 'cannot be greater than readyReplicas'));
  return out;
}

function validateWorkloadUpdate(next: Deployment | ReplicaSet, prev: Deployment | ReplicaSet): FieldCause[] {
  return [
    ...checkImmutable('spec.selector', next.spec?.selector, prev.spec?.selector),
    ...validateWorkloadStatus(next.status as Record<string, number | undefined> | undefined),
  ];
}

function validateServiceUpdate(next: Service, prev: Service): FieldCause[] {
  const out: FieldCause[] = [];
  // Once allocated, the cluster IP stays (unless the service becomes ExternalName).
  if (prev.spec?.clusterIP && next.spec?.type !== 'ExternalName' && next.spec?.clusterIP !== undefined
    && next.spec.clusterIP !== '' && next.spec.clusterIP !== prev.spec.clusterIP) {
    out.push(invalid('spec.clusterIPs[0]', next.spec.clusterIP, 'may not change once set'));
  }
  return out;
}

function validateImmutableData(next: Secret | ConfigMap, prev: Secret | ConfigMap): FieldCause[] {
  const out: FieldCause[] = [];
  if (prev.immutable) {
    if (!next.immutable) out.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
    if (!same(next.data, prev.data)) out.push(forbidden('data', 'field is immutable when `immutable` is set'));
    if ('binaryData' in prev && !same((next as ConfigMap).binaryData, (prev as ConfigMap).binaryData)) {
      out.push(forbidden('binaryData', 'field is immutable when `immutable` is set'));
    }
  }
  return out;
}

function validateSecretUpdate(next: Secret, prev: Secret): FieldCause[] {
  return [...checkImmutable('type', next.type ?? 'Opaque', prev.type ?? 'Opaque'), ...validateImmutableData(next, prev)];
}

const updateValidators: Record<string, (next: never, prev: never) => FieldCause[]> = {
  'v1/Pod': validatePodUpdate,
  'v1/Service': validateServiceUpdate,
  'v1/Secret': validateSecretUpdate,
  'v1/ConfigMap': validateImmutableData,
  'apps/v1/Deployment': validateWorkloadUpdate,
  'apps/v1/ReplicaSet': validateWorkloadUpdate,
};

/**
 * Validates an update: the new object on its own (as validateCreate), the metadata that may
 * never change, and each kind's immutable fields (Deployment spec.selector, most of a pod spec,
 * a Secret's type, immutable ConfigMaps/Secrets). Status-only writes pass through the same checks.
 */
export function validateUpdate(next: KubeObject, prev: KubeObject): FieldCause[] {
  const out = validateCreate(next);
  out.push(...validateObjectMetaUpdate(next.metadata, prev.metadata));
  const fn = updateValidators[`${next.apiVersion}/${next.kind}`];
  if (fn) out.push(...fn(next as never, prev as never));
  return out;
}
