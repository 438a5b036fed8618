// Validation run on every write before it is stored. Field-level causes in kube's words
// ("metadata.name: Invalid value: ...") so `kubectl` prints something a person can act on.
import type { KubeObject, ResourceInfo } from './resources.js';
import type { StatusCause } from './status.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// Kinds whose names must be DNS labels (they end up in hostnames or DNS names).
const LABEL_NAMED = new Set(['Namespace', 'Service']);

/** Field problems of `obj` (empty when valid); `old` is the stored object on updates. */
export function validateObject(info: ResourceInfo, obj: KubeObject, _old?: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = obj.metadata?.name ?? '';
  const label = LABEL_NAMED.has(info.kind);
  const max = label ? 63 : 253;
  if (name.length > max || !(label ? DNS1123_LABEL : DNS1123_SUBDOMAIN).test(name)) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-'${label ? '' : " or '.'"}, and must start and end with an alphanumeric character`,
    });
  }
  return causes;
}
