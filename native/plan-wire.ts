// Encodes a plan into the flat binary form skiff-monitor reads on fd 3 (decoder:
// native/src/plan-wire.cc). A field is [u16 tag][u32 length][bytes], little-endian;
// integers are 8 bytes; a nested record (a mount, a device) is a field of fields.
// Only encoding lives here: nothing is decided, every value comes from the plan.
import type { ContainerPlan, ExecPlan, PlanProcess } from './plan.js';

// Must match `enum Tag` in native/src/plan.h.
const T = {
  id: 1, rootPath: 2, rootReadonly: 3, rootPropagation: 4, rootOverlayData: 5, namespace: 6, mount: 7,
  device: 8, devSymlink: 9, masked: 10, readonly: 11, hostname: 12, domainname: 13, sysctl: 14,
  process: 15, seccompProgram: 16, seccompFlags: 17, cgroupProcs: 18, stateDir: 19, ioMode: 20,
  logPath: 21, execPid: 22, execStartTime: 23, setupTimeoutMs: 24, monitorCgroupProcs: 25,
} as const;
const N = {
  type: 100, path: 101, source: 102, flags: 103, propagation: 104, data: 105, remount: 106, major: 107,
  minor: 108, mode: 109, uid: 110, gid: 111, target: 112, value: 113,
} as const;
const P = {
  arg: 200, env: 201, cwd: 202, uid: 203, gid: 204, group: 205, umask: 206, nnp: 207, capBounding: 208,
  capEffective: 209, capPermitted: 210, capInheritable: 211, capAmbient: 212, rlimit: 213, oom: 214, terminal: 215,
} as const;
const R = { resource: 300, soft: 301, hard: 302 } as const;

/** RLIM_INFINITY and other values above 2^53 arrive as bigint or as -1 / Infinity. */
function u64(value: number | bigint | boolean): Buffer {
  const b = Buffer.alloc(8);
  let v: bigint;
  if (typeof value === 'boolean') v = value ? 1n : 0n;
  else if (typeof value === 'bigint') v = value;
  else if (value === Infinity || value === -1) v = 0xffffffffffffffffn;
  else v = BigInt(Math.trunc(value));
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b;
}

class Writer {
  private readonly chunks: Buffer[] = [];

  field(tag: number, payload: Buffer): void {
    const head = Buffer.alloc(6);
    head.writeUInt16LE(tag, 0);
    head.writeUInt32LE(payload.length, 2);
    this.chunks.push(head, payload);
  }
  str(tag: number, value: string): void {
    if (value.includes('\0')) throw new Error(`encode plan: a string contains a NUL byte: ${JSON.stringify(value)}`);
    this.field(tag, Buffer.from(value, 'utf8'));
  }
  num(tag: number, value: number | bigint | boolean): void {
    this.field(tag, u64(value));
  }
  nested(tag: number, fill: (w: Writer) => void): void {
    const inner = new Writer();
    fill(inner);
    this.field(tag, inner.bytes());
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeProcess(w: Writer, p: PlanProcess): void {
  w.nested(T.process, (pw) => {
    for (const a of p.args) pw.str(P.arg, a);
    for (const e of p.env) pw.str(P.env, e);
    pw.str(P.cwd, p.cwd);
    pw.num(P.uid, p.uid);
    pw.num(P.gid, p.gid);
    for (const g of p.additionalGids) pw.num(P.group, g);
    if (p.umask !== undefined) pw.num(P.umask, p.umask);
    pw.num(P.nnp, p.noNewPrivileges);
    pw.num(P.capBounding, p.capabilities.bounding);
    pw.num(P.capEffective, p.capabilities.effective);
    pw.num(P.capPermitted, p.capabilities.permitted);
    pw.num(P.capInheritable, p.capabilities.inheritable);
    pw.num(P.capAmbient, p.capabilities.ambient);
    for (const rl of p.rlimits) {
      pw.nested(P.rlimit, (rw) => {
        rw.num(R.resource, rl.resource);
        rw.num(R.soft, rl.soft);
        rw.num(R.hard, rl.hard);
      });
    }
    if (p.oomScoreAdj !== undefined) pw.num(P.oom, p.oomScoreAdj);
    pw.num(P.terminal, p.terminal);
  });
}

function overlayData(o: NonNullable<ContainerPlan['rootfs']['overlay']>): string {
  // overlayfs splits its options on ',' and lowerdir on ':'; both are escaped with '\'.
  const esc = (p: string) => p.replace(/([\\:,])/g, '\\$1');
  return `lowerdir=${o.lower.map(esc).join(':')},upperdir=${esc(o.upper)},workdir=${esc(o.work)}`;
}

/** The bytes skiff-monitor's create mode reads. Throws on values the wire cannot carry. */
export function encodeContainerPlan(plan: ContainerPlan): Buffer {
  if (plan.io.mode === 'log' && !plan.io.logPath) throw new Error(`encode plan for container ${plan.id}: io.logPath is required with io.mode 'log'`);
  const w = new Writer();
  w.str(T.id, plan.id);
  w.str(T.rootPath, plan.rootfs.path);
  w.num(T.rootReadonly, plan.rootfs.readonly);
  w.num(T.rootPropagation, plan.rootfs.propagation);
  if (plan.rootfs.overlay) w.str(T.rootOverlayData, overlayData(plan.rootfs.overlay));
  for (const ns of plan.namespaces) {
    w.nested(T.namespace, (nw) => {
      nw.str(N.type, ns.type);
      if (ns.path) nw.str(N.path, ns.path);
    });
  }
  for (const m of plan.mounts) {
    w.nested(T.mount, (mw) => {
      mw.str(N.target, m.destination);
      mw.str(N.source, m.source);
      mw.str(N.type, m.type);
      mw.num(N.flags, m.flags);
      mw.num(N.propagation, m.propagation);
      mw.str(N.data, m.data);
      mw.num(N.remount, m.remount);
    });
  }
  for (const d of plan.devices) {
    w.nested(T.device, (dw) => {
      dw.str(N.path, d.path);
      dw.str(N.type, d.type);
      dw.num(N.major, d.major);
      dw.num(N.minor, d.minor);
      dw.num(N.mode, d.mode);
      dw.num(N.uid, d.uid);
      dw.num(N.gid, d.gid);
    });
  }
  for (const [link, target] of plan.devSymlinks) {
    w.nested(T.devSymlink, (lw) => {
      lw.str(N.path, link);
      lw.str(N.target, target);
    });
  }
  for (const p of plan.maskedPaths) w.str(T.masked, p);
  for (const p of plan.readonlyPaths) w.str(T.readonly, p);
  if (plan.hostname !== undefined) w.str(T.hostname, plan.hostname);
  if (plan.domainname !== undefined) w.str(T.domainname, plan.domainname);
  for (const [key, value] of Object.entries(plan.sysctl)) {
    // net.ipv4.ip_forward -> /proc/sys/net/ipv4/ip_forward, as runc maps sysctl names.
    w.nested(T.sysctl, (sw) => {
      sw.str(N.path, `/proc/sys/${key.replace(/\./g, '/')}`);
      sw.str(N.value, value);
    });
  }
  writeProcess(w, plan.process);
  if (plan.seccomp) {
    w.field(T.seccompProgram, plan.seccomp.program);
    w.num(T.seccompFlags, plan.seccomp.flags);
  }
  for (const c of plan.cgroupProcs) w.str(T.cgroupProcs, c);
  for (const c of plan.monitorCgroupProcs ?? []) w.str(T.monitorCgroupProcs, c);
  w.str(T.stateDir, plan.stateDir);
  w.num(T.ioMode, plan.io.mode === 'inherit' ? 1 : 0);
  if (plan.io.logPath) w.str(T.logPath, plan.io.logPath);
  if (plan.setupTimeoutMs) w.num(T.setupTimeoutMs, plan.setupTimeoutMs);
  return w.bytes();
}

/** The bytes skiff-monitor's exec mode reads. */
export function encodeExecPlan(plan: ExecPlan): Buffer {
  const w = new Writer();
  w.num(T.execPid, plan.pid);
  if (plan.startTime !== undefined) w.num(T.execStartTime, plan.startTime);
  for (const type of plan.namespaces) w.nested(T.namespace, (nw) => nw.str(N.type, type));
  for (const c of plan.cgroupProcs) w.str(T.cgroupProcs, c);
  writeProcess(w, plan.process);
  if (plan.seccomp) {
    w.field(T.seccompProgram, plan.seccomp.program);
    w.num(T.seccompFlags, plan.seccomp.flags);
  }
  return w.bytes();
}
