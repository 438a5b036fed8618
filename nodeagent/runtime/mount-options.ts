// OCI mount option strings to mount(2) flags, propagation and data, as runc's
// specconv and crun's mount_flags table read them.

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_SYNCHRONOUS = 0x10;
export const MS_REMOUNT = 0x20;
export const MS_MANDLOCK = 0x40;
export const MS_DIRSYNC = 0x80;
export const MS_NOATIME = 0x400;
export const MS_NODIRATIME = 0x800;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_UNBINDABLE = 0x20000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MS_RELATIME = 0x200000;
export const MS_STRICTATIME = 0x1000000;

/** Option -> [set?, flag]. `set` false clears the flag (e.g. `rw`, `suid`). */
const FLAG_OPTIONS: Record<string, [boolean, number]> = {
  ro: [true, MS_RDONLY], rw: [false, MS_RDONLY],
  nosuid: [true, MS_NOSUID], suid: [false, MS_NOSUID],
  nodev: [true, MS_NODEV], dev: [false, MS_NODEV],
  noexec: [true, MS_NOEXEC], exec: [false, MS_NOEXEC],
  sync: [true, MS_SYNCHRONOUS], async: [false, MS_SYNCHRONOUS],
  dirsync: [true, MS_DIRSYNC],
  remount: [true, MS_REMOUNT],
  mand: [true, MS_MANDLOCK], nomand: [false, MS_MANDLOCK],
  noatime: [true, MS_NOATIME], atime: [false, MS_NOATIME],
  nodiratime: [true, MS_NODIRATIME], diratime: [false, MS_NODIRATIME],
  relatime: [true, MS_RELATIME], norelatime: [false, MS_RELATIME],
  strictatime: [true, MS_STRICTATIME], nostrictatime: [false, MS_STRICTATIME],
  bind: [true, MS_BIND], rbind: [true, MS_BIND | MS_REC],
};

const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS_PRIVATE, rprivate: MS_PRIVATE | MS_REC,
  shared: MS_SHARED, rshared: MS_SHARED | MS_REC,
  slave: MS_SLAVE, rslave: MS_SLAVE | MS_REC,
  unbindable: MS_UNBINDABLE, runbindable: MS_UNBINDABLE | MS_REC,
};

/** Flags a bind mount can only get through a second MS_REMOUNT|MS_BIND pass. */
const REMOUNT_FLAGS = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

export interface ParsedMountOptions {
  flags: number;
  propagation: number;
  data: string;
  /** A bind with flags the first mount(2) ignores. */
  remount: boolean;
}

/** Parses OCI options; `type` 'bind' makes it a bind even without the `bind` option. */
export function parseMountOptions(options: readonly string[] | undefined, type: string | undefined): ParsedMountOptions {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const opt of options ?? []) {
    const flag = FLAG_OPTIONS[opt];
    if (flag) {
      flags = flag[0] ? flags | flag[1] : flags & ~flag[1];
      continue;
    }
    const prop = PROPAGATION_OPTIONS[opt];
    if (prop !== undefined) {
      propagation = prop;
      continue;
    }
    data.push(opt);
  }
  if (type === 'bind') flags |= MS_BIND;
  const isBind = (flags & MS_BIND) !== 0;
  return { flags, propagation, data: data.join(','), remount: isBind && (flags & REMOUNT_FLAGS) !== 0 };
}

/** `rootfsPropagation` string to flags; unset is rprivate (crun's default; runc uses rslave). */
export function parsePropagation(value: string | undefined, field: string): number {
  if (value === undefined || value === '') return MS_PRIVATE | MS_REC;
  const prop = PROPAGATION_OPTIONS[value];
  if (prop === undefined) throw new Error(`${field}: unknown propagation ${value}`);
  return prop;
}
