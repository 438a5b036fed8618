// Shared by the unpack and snapshot tests: read an OCI layout the harness built, check the
// host tools these tests compare against, and track overlay mounts so they are always undone.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unmountOverlay } from '../../../nodeagent/images/rootfs.js';

export interface LayoutImage {
  layerPaths: string[];
  diffIds: string[];
  config: { rootfs: { diff_ids: string[] } };
}

/** Resolves `tag` in an OCI layout to its layer blob paths and config diffIDs. */
export function readLayoutImage(layoutDir: string, tag: string): LayoutImage {
  const blob = (digest: string) => join(layoutDir, 'blobs/sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(readFileSync(join(layoutDir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const desc = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!desc) throw new Error(`tag ${tag} not in ${layoutDir}`);
  const manifest = JSON.parse(readFileSync(blob(desc.digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as LayoutImage['config'];
  return { layerPaths: manifest.layers.map((l) => blob(l.digest)), diffIds: config.rootfs.diff_ids, config };
}

/** Fails (never skips) when a tool the comparison needs is missing; scripts/setup.sh installs them. */
export function requireTools(...tools: string[]): void {
  if (process.getuid?.() !== 0) throw new Error('image unpack tests need root (mknod, chown, overlay mounts)');
  for (const t of tools) {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`\`${t}\` is not installed: run scripts/setup.sh`);
    }
  }
}

/** Overlay mounts made by a test file, unmounted in afterEach/afterAll even when a test fails. */
export const mounted = new Set<string>();

export async function unmountAll(): Promise<void> {
  for (const m of [...mounted].reverse()) {
    await unmountOverlay(m).catch(() => {});
    mounted.delete(m);
  }
}
