// Compiles an OCI `linux.seccomp` section to a classic-BPF program for
// seccomp(SECCOMP_SET_MODE_FILTER), the job libseccomp does for runc and crun.
//
// Program shape (first match wins, like libseccomp's rule order):
//   load arch; not the native arch -> KILL_PROCESS
//   load nr;   x32 ABI bit set on x86_64 -> KILL_PROCESS (else x32 numbers bypass every rule)
//   for each rule, for each syscall name: nr == N && arg conditions -> rule action
//   default action
// Only the native architecture is compiled; other architectures a profile lists (x86,
// x32) are killed rather than filtered, which is stricter than libseccomp.
import type { OciSeccomp, OciSeccompRule } from '../oci-spec.js';
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.js';

// Return values (linux/seccomp.h).
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

// classic BPF opcodes (linux/filter.h) used by seccomp filters.
export const BPF_LD_W_ABS = 0x20;
export const BPF_JMP_JEQ_K = 0x15;
export const BPF_JMP_JGT_K = 0x25;
export const BPF_JMP_JGE_K = 0x35;
export const BPF_ALU_AND_K = 0x54;
export const BPF_RET_K = 0x06;

// struct seccomp_data offsets: nr, arch, instruction_pointer, args[6] (little-endian words).
const OFF_NR = 0;
const OFF_ARCH = 4;
const argLow = (i: number) => 16 + 8 * i;
const argHigh = (i: number) => 20 + 8 * i;

const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;
/** BPF_MAXINSNS: the kernel refuses longer classic programs. */
const MAX_INSNS = 4096;

export interface SeccompArch {
  /** OCI name, e.g. SCMP_ARCH_X86_64. */
  name: string;
  /** AUDIT_ARCH_* value the kernel puts in seccomp_data.arch. */
  auditArch: number;
  syscalls: Readonly<Record<string, number>>;
  /** x86_64 shares its syscall entry with the x32 ABI, told apart by a bit in nr. */
  hasX32: boolean;
}

export const ARCHES: Record<string, SeccompArch> = {
  x64: { name: 'SCMP_ARCH_X86_64', auditArch: 0xc000003e, syscalls: X86_64_SYSCALLS, hasX32: true },
  arm64: { name: 'SCMP_ARCH_AARCH64', auditArch: 0xc00000b7, syscalls: AARCH64_SYSCALLS, hasX32: false },
};

/** SECCOMP_FILTER_FLAG_* by the names the OCI spec uses. */
const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

export interface CompiledSeccomp {
  /** struct sock_filter[] (u16 code, u8 jt, u8 jf, u32 k), host byte order. */
  program: Buffer;
  flags: number;
}

/** Raised for a profile the compiler cannot express faithfully; `field` names the culprit. */
export class SeccompCompileError extends Error {
  constructor(readonly field: string, why: string) {
    super(`compile seccomp profile: ${field}: ${why}`);
    this.name = 'SeccompCompileError';
  }
}

type Target = number | string; // relative offset or label
interface Insn { code: number; jt: Target; jf: Target; k: number }

/** A tiny assembler: forward jumps to labels, resolved and range-checked at the end. */
class Program {
  readonly insns: Insn[] = [];
  private readonly labels = new Map<string, number>();
  private next = 0;

  newLabel(): string {
    return `L${this.next++}`;
  }
  place(label: string): void {
    this.labels.set(label, this.insns.length);
  }
  load(offset: number): void {
    this.insns.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: offset });
  }
  and(k: number): void {
    this.insns.push({ code: BPF_ALU_AND_K, jt: 0, jf: 0, k: k >>> 0 });
  }
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ code, jt, jf, k: k >>> 0 });
  }
  ret(k: number): void {
    this.insns.push({ code: BPF_RET_K, jt: 0, jf: 0, k: k >>> 0 });
  }

  assemble(): Buffer {
    if (this.insns.length > MAX_INSNS) {
      throw new SeccompCompileError('syscalls', `program has ${this.insns.length} instructions, the kernel allows ${MAX_INSNS}`);
    }
    const buf = Buffer.alloc(this.insns.length * 8);
    this.insns.forEach((insn, i) => {
      buf.writeUInt16LE(insn.code, i * 8);
      buf.writeUInt8(this.offset(insn.jt, i), i * 8 + 2);
      buf.writeUInt8(this.offset(insn.jf, i), i * 8 + 3);
      buf.writeUInt32LE(insn.k, i * 8 + 4);
    });
    return buf;
  }

  private offset(target: Target, at: number): number {
    if (typeof target === 'number') return target;
    const to = this.labels.get(target);
    if (to === undefined) throw new Error(`seccomp assembler: label ${target} never placed`);
    const rel = to - at - 1;
    if (rel < 0 || rel > 255) throw new SeccompCompileError('syscalls', `jump of ${rel} instructions does not fit classic BPF`);
    return rel;
  }
}

/** Maps an OCI action name to a SECCOMP_RET_* value. */
export function actionValue(action: string, errnoRet: number | undefined, field: string): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_ERRNO': return SECCOMP_RET_ERRNO | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_TRACE': return SECCOMP_RET_TRACE | ((errnoRet ?? 0) & 0xffff);
    case 'SCMP_ACT_LOG': return SECCOMP_RET_LOG;
    default: throw new SeccompCompileError(field, `action ${action} is not supported (SCMP_ACT_NOTIFY needs a listener Skiff does not run)`);
  }
}

function split64(value: number, field: string): [hi: number, lo: number] {
  if (!Number.isInteger(value)) throw new SeccompCompileError(field, `${value} is not an integer`);
  const v = BigInt.asUintN(64, BigInt(value)); // negative values are two's complement, as in C
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** Emits one argument condition; falls through when it holds, jumps to `fail` when not. */
function emitCondition(p: Program, cond: NonNullable<OciSeccompRule['args']>[number], fail: string, field: string): void {
  if (!Number.isInteger(cond.index) || cond.index < 0 || cond.index > 5) {
    throw new SeccompCompileError(`${field}.index`, `must be 0..5, got ${cond.index}`);
  }
  const pass = p.newLabel();
  const [hi, lo] = split64(cond.value, `${field}.value`);
  const i = cond.index;
  switch (cond.op) {
    case 'SCMP_CMP_EQ':
      p.load(argHigh(i)); p.jump(BPF_JMP_JEQ_K, hi, 0, fail);
      p.load(argLow(i)); p.jump(BPF_JMP_JEQ_K, lo, 0, fail);
      break;
    case 'SCMP_CMP_NE':
      p.load(argHigh(i)); p.jump(BPF_JMP_JEQ_K, hi, 0, pass);
      p.load(argLow(i)); p.jump(BPF_JMP_JEQ_K, lo, fail, 0);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      // OCI/libseccomp: value is the mask, valueTwo the expected (arg & mask).
      const [dhi, dlo] = split64(cond.valueTwo ?? 0, `${field}.valueTwo`);
      p.load(argHigh(i)); p.and(hi); p.jump(BPF_JMP_JEQ_K, dhi, 0, fail);
      p.load(argLow(i)); p.and(lo); p.jump(BPF_JMP_JEQ_K, dlo, 0, fail);
      break;
    }
    // Unsigned 64-bit comparisons: decide on the high word, the low word only on a tie.
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      p.load(argHigh(i)); p.jump(BPF_JMP_JGT_K, hi, pass, 0); p.jump(BPF_JMP_JEQ_K, hi, 0, fail);
      p.load(argLow(i)); p.jump(cond.op === 'SCMP_CMP_GT' ? BPF_JMP_JGT_K : BPF_JMP_JGE_K, lo, pass, fail);
      break;
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE':
      p.load(argHigh(i)); p.jump(BPF_JMP_JGT_K, hi, fail, 0); p.jump(BPF_JMP_JEQ_K, hi, 0, pass);
      p.load(argLow(i)); p.jump(cond.op === 'SCMP_CMP_LT' ? BPF_JMP_JGE_K : BPF_JMP_JGT_K, lo, fail, pass);
      break;
    default:
      throw new SeccompCompileError(`${field}.op`, `operator ${cond.op} is not supported`);
  }
  p.place(pass);
}

/**
 * Compiles `profile` for the architecture `arch` (Node's process.arch naming). Syscall
 * names unknown on that architecture are skipped, as runc does with libseccomp; rules
 * whose action equals the default action are dropped (they could never change a result).
 */
export function compileSeccomp(profile: OciSeccomp, arch: string = process.arch): CompiledSeccomp {
  const target = ARCHES[arch];
  if (!target) throw new SeccompCompileError('architectures', `Skiff compiles seccomp for x64 and arm64, not ${arch}`);
  const defaultAction = actionValue(profile.defaultAction, profile.defaultErrnoRet, 'defaultAction');
  const kill = SECCOMP_RET_KILL_PROCESS;

  let flags = 0;
  for (const [i, name] of (profile.flags ?? []).entries()) {
    const bit = FILTER_FLAGS[name];
    if (bit === undefined) throw new SeccompCompileError(`flags[${i}]`, `unknown flag ${name}`);
    flags |= bit;
  }

  const p = new Program();
  p.load(OFF_ARCH);
  p.jump(BPF_JMP_JEQ_K, target.auditArch, 1, 0);
  p.ret(kill);
  p.load(OFF_NR);
  if (target.hasX32) {
    p.jump(BPF_JMP_JGE_K, X32_SYSCALL_BIT, 0, 1);
    p.ret(kill);
  }

  let accumulatorHoldsNr = true;
  for (const [r, rule] of (profile.syscalls ?? []).entries()) {
    const field = `syscalls[${r}]`;
    const action = actionValue(rule.action, rule.errnoRet ?? profile.defaultErrnoRet, `${field}.action`);
    if (action === defaultAction) continue;
    for (const name of rule.names ?? []) {
      const nr = target.syscalls[name];
      if (nr === undefined) continue;
      if (!accumulatorHoldsNr) p.load(OFF_NR);
      const next = p.newLabel();
      p.jump(BPF_JMP_JEQ_K, nr, 0, next);
      (rule.args ?? []).forEach((cond, a) => emitCondition(p, cond, next, `${field}.args[${a}]`));
      p.ret(action);
      p.place(next);
      accumulatorHoldsNr = (rule.args ?? []).length === 0;
    }
  }
  p.ret(defaultAction);
  return { program: p.assemble(), flags };
}
