// The container runtime's public surface, used by the node agent and `skiff oci`.
// Policy (spec -> plan, cgroups, seccomp, state) is TypeScript; the syscalls are native/.
export { Runtime, Container, ContainerStateError, loadContainer } from './container.js';
export type { ContainerExit, ContainerStatus, CreateOptions, ExitReason, OciState } from './container.js';
export type { ExecOptions, ExecResult } from './native-runtime.js';
export { planFromSpec, SpecError, DEFAULT_DEVICES } from './plan-from-spec.js';
export type { PlanOptions } from './plan-from-spec.js';
export { defaultContainerSpec, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, milliCpuToShares, milliCpuToQuota } from './default-spec.js';
export type { ContainerDefaults } from './default-spec.js';
export { generateRuncSpec } from './runc-spec.js';
export { DEFAULT_CAPABILITIES } from './capabilities.js';
export { compileSeccomp } from './seccomp/compile.js';
export { defaultSeccompProfile } from './seccomp/default-profile.js';
export { detectCgroupMode, readCgroupEnv } from './cgroups/detect.js';
export type { CgroupEnv, CgroupMode } from './cgroups/detect.js';
export type { OciSpec } from './oci-spec.js';
export type { ContainerState } from './state.js';
