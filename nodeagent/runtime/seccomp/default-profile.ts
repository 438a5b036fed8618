// The seccomp profile the agent gives containers by default (Kubernetes' RuntimeDefault).
//
// moby's default profile (which containerd and podman copy) is an allow-list of ~300
// syscalls that blocks ~50; Skiff states the same policy as a deny-list: everything is
// allowed except the syscalls moby keeps out, each failing with EPERM, with the same
// capability gates (a container granted CAP_SYS_ADMIN may mount, as under moby). A
// deny-list cannot break a program that uses a syscall newer than our tables, and the
// arch check plus the x32 check in the compiler close the usual deny-list bypasses.
import type { OciSeccomp, OciSeccompRule } from '../oci-spec.js';

const ENOSYS = 38;

/** Syscalls refused unless the container holds the named capability (moby's gates). */
const GATED: Record<string, string[]> = {
  CAP_SYS_ADMIN: [
    'mount', 'umount', 'umount2', 'pivot_root', 'unshare', 'setns', 'swapon', 'swapoff',
    'quotactl', 'quotactl_fd', 'fanotify_init', 'name_to_handle_at', 'lookup_dcookie', 'bpf',
    'perf_event_open', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree',
    'mount_setattr', 'vm86', 'vm86old',
  ],
  CAP_SYS_MODULE: ['init_module', 'finit_module', 'delete_module', 'create_module', 'query_module', 'get_kernel_syms'],
  CAP_SYS_BOOT: ['reboot', 'kexec_load', 'kexec_file_load'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'clock_adjtime', 'clock_adjtime64'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd'],
  CAP_SYS_NICE: ['mbind', 'get_mempolicy', 'set_mempolicy', 'set_mempolicy_home_node', 'move_pages', 'migrate_pages'],
  CAP_SYSLOG: ['syslog'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
};

/** Refused for everyone: the kernel keyring is not namespaced, the rest are obsolete or attack surface. */
const ALWAYS_BLOCKED = [
  'add_key', 'keyctl', 'request_key', 'userfaultfd', 'uselib', 'ustat', 'sysfs', '_sysctl',
  'nfsservctl', 'io_uring_setup', 'io_uring_enter', 'io_uring_register',
];

/** Namespace flags in clone(2)'s flags word: NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
export const CLONE_NAMESPACE_FLAG_BITS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

/** personality(2) values moby allows: PER_LINUX, UNAME26, PER_LINUX32, and the query 0xffffffff. */
const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

/**
 * The default profile for a container holding `capabilities` (OCI names, e.g. CAP_SYS_ADMIN).
 * Plain OCI data: it can be written into a config.json and given to runc as well.
 */
export function defaultSeccompProfile(capabilities: readonly string[]): OciSeccomp {
  const has = new Set(capabilities);
  const blocked = [...ALWAYS_BLOCKED];
  for (const [cap, names] of Object.entries(GATED)) if (!has.has(cap)) blocked.push(...names);

  // Written as refusals only (no allow rule shadowing a later refusal), so the profile
  // means the same to libseccomp, which drops rules equal to the default action.
  const rules: OciSeccompRule[] = [
    {
      names: ['personality'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
      args: PERSONALITY_ALLOWED.map((value) => ({ index: 0, value, op: 'SCMP_CMP_NE' })),
    },
  ];
  if (!has.has('CAP_SYS_ADMIN')) {
    // clone without namespace flags is how every thread and fork starts; with any of them
    // it is the same escape surface as unshare. clone3 passes flags in memory BPF cannot
    // read, so it fails with ENOSYS and libc falls back to clone (what moby does).
    for (const flag of CLONE_NAMESPACE_FLAG_BITS) {
      rules.push({
        names: ['clone'],
        action: 'SCMP_ACT_ERRNO',
        errnoRet: 1,
        args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }],
      });
    }
    rules.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  rules.push({ names: blocked, action: 'SCMP_ACT_ERRNO', errnoRet: 1 });

  return {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
    syscalls: rules,
  };
}
