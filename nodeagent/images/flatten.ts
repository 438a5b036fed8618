// Applies a whole image's layers to one plain directory (real deletions instead of overlay
// whiteouts): what `skiff image unpack` writes, and what tests compare with umoci's output.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { applyLayer, type AppliedLayer } from './layer-apply.js';

export interface FlattenOptions {
  /** diffIDs from the image config, one per layer; each layer is verified against its own. */
  diffIds?: readonly string[];
}

/**
 * Applies `layers` (blob paths or byte streams, bottom layer first) in flatten mode into
 * `targetDir`, which must not exist. The tree is built in a sibling temp dir and renamed in
 * only when every layer applied, so a refused layer leaves nothing behind.
 */
export async function flattenLayers(
  layers: readonly (string | AsyncIterable<Uint8Array>)[],
  targetDir: string,
  opts: FlattenOptions = {},
): Promise<AppliedLayer[]> {
  if (opts.diffIds && opts.diffIds.length !== layers.length) {
    throw new Error(`flatten into \`${targetDir}\`: ${layers.length} layers but ${opts.diffIds.length} diffIDs`);
  }
  if (await stat(targetDir).then(() => true, () => false)) {
    throw new Error(`flatten into \`${targetDir}\`: the directory already exists; choose a new one`);
  }
  await mkdir(dirname(targetDir), { recursive: true });
  const tmp = join(dirname(targetDir), `.${basename(targetDir)}.flatten-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp, { mode: 0o755 });
  try {
    const applied: AppliedLayer[] = [];
    for (const [i, layer] of layers.entries()) {
      const input = typeof layer === 'string' ? createReadStream(layer, { highWaterMark: 1 << 20 }) : layer;
      const label = opts.diffIds?.[i] ?? (typeof layer === 'string' ? `\`${layer}\`` : `#${i + 1}`);
      applied.push(await applyLayer(input, tmp, { mode: 'flatten', diffId: opts.diffIds?.[i], label }));
    }
    await rename(tmp, targetDir);
    return applied;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
