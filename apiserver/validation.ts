// Validation run on every write before it is stored: api/'s Kubernetes rules (create, and
// for updates the immutable fields too), reported as Status causes.
import { validateCreate, validateUpdate } from '../api/index.js';
import type { KubeObject, ResourceInfo } from './resources.js';
import type { StatusCause } from './status.js';

/**
 * Field problems of `obj` (empty when valid); `old` is the stored object on updates.
 * A binding only sets spec.nodeName, which a pod update may not, so it is validated as a create.
 */
export function validateObject(_info: ResourceInfo, obj: KubeObject, old?: KubeObject, subresource?: string): StatusCause[] {
  if (!old || subresource === 'binding') return validateCreate(obj);
  return validateUpdate(obj, old);
}
