// A classic-BPF interpreter for the instructions seccomp filters use, so compiled
// programs can be table-tested without loading them into a kernel.
export interface SeccompData { nr: number; arch: number; args?: bigint[] }

export function runSeccompFilter(program: Buffer, data: SeccompData): number {
  const mem = Buffer.alloc(64);
  mem.writeUInt32LE(data.nr >>> 0, 0);
  mem.writeUInt32LE(data.arch >>> 0, 4);
  (data.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let acc = 0;
  for (let pc = 0; pc < program.length / 8; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: acc = mem.readUInt32LE(k); break;
      case 0x54: acc = (acc & k) >>> 0; break;
      case 0x15: pc += acc === k ? jt : jf; break;
      case 0x25: pc += acc > k ? jt : jf; break;
      case 0x35: pc += acc >= k ? jt : jf; break;
      case 0x45: pc += (acc & k) !== 0 ? jt : jf; break;
      case 0x05: pc += k; break;
      case 0x06: return k;
      default: throw new Error(`unknown BPF opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('filter fell off the end without returning');
}
