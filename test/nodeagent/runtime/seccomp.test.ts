import { describe, expect, it } from 'vitest';
import {
  compileSeccomp, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG, SECCOMP_RET_TRAP, SeccompCompileError,
} from '../../../nodeagent/runtime/seccomp/compile.js';
import { defaultSeccompProfile } from '../../../nodeagent/runtime/seccomp/default-profile.js';
import { X86_64_SYSCALLS, AARCH64_SYSCALLS } from '../../../nodeagent/runtime/seccomp/syscall-table.js';
import { DEFAULT_CAPABILITIES } from '../../../nodeagent/runtime/capabilities.js';
import type { OciSeccomp } from '../../../nodeagent/runtime/oci-spec.js';
import { runSeccompFilter } from './bpf-interpreter.js';

const X86_64 = 0xc000003e;
const AARCH64 = 0xc00000b7;
const I386 = 0x40000003;
const nr = (name: string) => X86_64_SYSCALLS[name]!;
const EPERM = SECCOMP_RET_ERRNO | 1;

describe('seccomp compiler', () => {
  const profile: OciSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    syscalls: [
      { names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' },
      { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['getpid'], action: 'SCMP_ACT_TRAP' },
      { names: ['gettid'], action: 'SCMP_ACT_LOG' },
      { names: ['tkill'], action: 'SCMP_ACT_KILL' },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_NE' }, { index: 0, value: 8, op: 'SCMP_CMP_NE' }] },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['lseek'], action: 'SCMP_ACT_ALLOW', args: [{ index: 2, value: 0x1_0000_0005, op: 'SCMP_CMP_GT' }] },
      { names: ['dup'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x1_0000_0005, op: 'SCMP_CMP_GE' }] },
      { names: ['close'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x1_0000_0005, op: 'SCMP_CMP_LT' }] },
      { names: ['fsync'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x1_0000_0005, op: 'SCMP_CMP_LE' }] },
      { names: ['no_such_syscall_anywhere'], action: 'SCMP_ACT_ALLOW' },
    ],
  };
  const { program } = compileSeccomp(profile, 'x64');
  const run = (name: string, args: bigint[] = [], arch = X86_64) => runSeccompFilter(program, { nr: nr(name), arch, args });

  it.each([
    ['read', [], SECCOMP_RET_ALLOW],
    ['exit_group', [], SECCOMP_RET_ALLOW],
    ['kill', [], SECCOMP_RET_KILL_PROCESS],
    ['getpid', [], SECCOMP_RET_TRAP],
    ['gettid', [], SECCOMP_RET_LOG],
    ['tkill', [], SECCOMP_RET_KILL_THREAD],
    ['mount', [], SECCOMP_RET_ERRNO | 38],
    ['socket', [1n], SECCOMP_RET_ALLOW],
    ['socket', [2n], SECCOMP_RET_ERRNO | 38],
    ['socket', [0x1_0000_0001n], SECCOMP_RET_ERRNO | 38], // high word counts
    ['personality', [0n], SECCOMP_RET_ALLOW],
    ['personality', [8n], SECCOMP_RET_ERRNO | 38],
    ['personality', [0xffffffffn], SECCOMP_RET_ERRNO | 38],
    ['clone', [0x11n], SECCOMP_RET_ALLOW],
    ['clone', [0x11n | 0x20000000n], SECCOMP_RET_ERRNO | 38],
    ['lseek', [0n, 0n, 0x1_0000_0006n], SECCOMP_RET_ALLOW],
    ['lseek', [0n, 0n, 0x1_0000_0005n], SECCOMP_RET_ERRNO | 38],
    ['lseek', [0n, 0n, 0x2_0000_0000n], SECCOMP_RET_ALLOW],
    ['lseek', [0n, 0n, 0xffff_ffffn], SECCOMP_RET_ERRNO | 38],
    ['dup', [0x1_0000_0005n], SECCOMP_RET_ALLOW],
    ['dup', [0x1_0000_0004n], SECCOMP_RET_ERRNO | 38],
    ['close', [0x1_0000_0004n], SECCOMP_RET_ALLOW],
    ['close', [0xffff_ffffn], SECCOMP_RET_ALLOW],
    ['close', [0x1_0000_0005n], SECCOMP_RET_ERRNO | 38],
    ['fsync', [0x1_0000_0005n], SECCOMP_RET_ALLOW],
    ['fsync', [0x1_0000_0006n], SECCOMP_RET_ERRNO | 38],
  ] as [string, bigint[], number][])('%s(%s) -> %i', (name, args, expected) => {
    expect(run(name, args)).toBe(expected);
  });

  it('kills a syscall made through another architecture (i386 int 0x80)', () => {
    expect(run('read', [], I386)).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('kills x32-ABI syscall numbers, which would otherwise miss every rule', () => {
    expect(runSeccompFilter(program, { nr: 0x40000000 | nr('read'), arch: X86_64 })).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('compiles for arm64 with its own numbers and arch', () => {
    const arm = compileSeccomp(profile, 'arm64').program;
    expect(runSeccompFilter(arm, { nr: AARCH64_SYSCALLS['read']!, arch: AARCH64 })).toBe(SECCOMP_RET_ALLOW);
    expect(runSeccompFilter(arm, { nr: AARCH64_SYSCALLS['read']!, arch: X86_64 })).toBe(SECCOMP_RET_KILL_PROCESS);
    // no x32 check on arm64: a high number simply falls to the default
    expect(runSeccompFilter(arm, { nr: 0x40000000, arch: AARCH64 })).toBe(SECCOMP_RET_ERRNO | 38);
  });

  it('refuses what it cannot express, naming the field', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOTIFY' }, 'x64')).toThrow(SeccompCompileError);
    const bad = () => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] }] }, 'x64');
    expect(bad).toThrow(/syscalls\[0\]\.args\[0\]\.op/);
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_BOGUS'] }, 'x64')).toThrow(/flags\[0\]/);
  });

  it('maps filter flags', () => {
    expect(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }, 'x64').flags).toBe(6);
  });
});

describe('default seccomp profile', () => {
  const program = compileSeccomp(defaultSeccompProfile(DEFAULT_CAPABILITIES), 'x64').program;
  const run = (name: string, args: bigint[] = []) => runSeccompFilter(program, { nr: nr(name), arch: X86_64, args });

  it.each(['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'keyctl', 'add_key', 'bpf', 'init_module', 'finit_module',
    'kexec_load', 'reboot', 'swapon', 'acct', 'kcmp', 'userfaultfd', 'perf_event_open', 'open_by_handle_at',
    'clock_settime', 'settimeofday', 'io_uring_setup', 'fsopen', 'move_mount', 'open_tree', 'iopl', 'syslog'])('blocks %s with EPERM', (name) => {
    expect(run(name)).toBe(EPERM);
  });

  it.each(['read', 'write', 'openat', 'execve', 'exit_group', 'wait4', 'socket', 'chroot', 'setuid', 'ptrace', 'seccomp'])('allows %s', (name) => {
    expect(run(name)).toBe(SECCOMP_RET_ALLOW);
  });

  it('allows fork/thread clone but not clone with namespace flags; clone3 says ENOSYS so libc falls back', () => {
    expect(run('clone', [0x01200011n])).toBe(SECCOMP_RET_ALLOW); // fork()
    expect(run('clone', [0x003d0f00n])).toBe(SECCOMP_RET_ALLOW); // pthread_create
    expect(run('clone', [0x20000000n | 17n])).toBe(EPERM); // CLONE_NEWPID
    expect(run('clone', [0x40000000n])).toBe(EPERM); // CLONE_NEWNET
    expect(run('clone3')).toBe(SECCOMP_RET_ERRNO | 38);
  });

  it('allows only the personality values moby allows', () => {
    expect(run('personality', [0n])).toBe(SECCOMP_RET_ALLOW);
    expect(run('personality', [0xffffffffn])).toBe(SECCOMP_RET_ALLOW);
    expect(run('personality', [0x0040000n])).toBe(EPERM); // ADDR_NO_RANDOMIZE
  });

  it('unlocks the CAP_SYS_ADMIN syscalls for a container granted CAP_SYS_ADMIN', () => {
    const admin = compileSeccomp(defaultSeccompProfile([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN']), 'x64').program;
    const r = (name: string, args: bigint[] = []) => runSeccompFilter(admin, { nr: nr(name), arch: X86_64, args });
    expect(r('mount')).toBe(SECCOMP_RET_ALLOW);
    expect(r('clone', [0x20000000n])).toBe(SECCOMP_RET_ALLOW);
    expect(r('keyctl')).toBe(EPERM);
  });
});
