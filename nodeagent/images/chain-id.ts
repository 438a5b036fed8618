// Layer identity for snapshots. A diffID names one uncompressed layer tar; a chainID names
// a whole stack of layers, so two images that share their first n layers share the first n
// snapshots. The formula is the OCI image-spec's (config.md, "ChainID"), as containerd uses it.
import { createHash } from 'node:crypto';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** True for a lowercase `sha256:<64 hex>` digest, the only algorithm snapshots are keyed by. */
export function isSha256Digest(value: string): boolean {
  return DIGEST.test(value);
}

/** chainID(parent, diffID): the diffID itself for the bottom layer, else sha256(`parent diffID`). */
export function chainIdOf(parentChainId: string | undefined, diffId: string): string {
  if (!isSha256Digest(diffId)) throw new Error(`compute chainID: diffID \`${diffId}\` is not a sha256 digest`);
  if (parentChainId === undefined) return diffId;
  if (!isSha256Digest(parentChainId)) throw new Error(`compute chainID: parent chainID \`${parentChainId}\` is not a sha256 digest`);
  return `sha256:${createHash('sha256').update(`${parentChainId} ${diffId}`).digest('hex')}`;
}

/** chainIDs for every prefix of `diffIds` (bottom layer first); the last one names the image's rootfs. */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(chainIdOf(out.at(-1), d));
  return out;
}
