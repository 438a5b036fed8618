// `skiff image`: pull, list, inspect, remove and garbage-collect images on this machine, and
// unpack one into a plain directory. It works on the same store the node agent uses:
// <data-dir>/images (content/, snapshots/, images.json).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import {
  ImageService, emptyRegistriesConfig, loadRegistriesConfig, type LayerProgress, type RegistriesConfig,
} from '../nodeagent/images/index.js';

export const DEFAULT_DATA_DIR = '/var/lib/skiff';
/** Read when present and no --registry-config is given (k3s keeps its file in /etc/rancher/k3s). */
export const DEFAULT_REGISTRY_CONFIG = '/etc/skiff/registries.yaml';

interface GlobalOptions { dataDir: string; registryConfig?: string }

async function openService(opts: GlobalOptions): Promise<ImageService> {
  let registries: RegistriesConfig = emptyRegistriesConfig();
  if (opts.registryConfig) registries = loadRegistriesConfig(opts.registryConfig);
  else if (existsSync(DEFAULT_REGISTRY_CONFIG)) registries = loadRegistriesConfig(DEFAULT_REGISTRY_CONFIG);
  return ImageService.open({ root: join(opts.dataDir, 'images'), registries });
}

function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) { n /= 1000; u++; }
  return `${n >= 10 || u === 0 ? Math.round(n) : n.toFixed(1)} ${units[u]}`;
}

function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * Renders layer progress: on a terminal one line per layer, redrawn in place at most every
 * 100 ms; otherwise a plain line each time a layer changes state (logs stay readable).
 */
function progressPrinter(out: NodeJS.WriteStream): { update(layers: LayerProgress[]): void; finish(layers: LayerProgress[]): void } {
  const tty = out.isTTY === true;
  let drawn = 0;
  let last = 0;
  const states = new Map<number, string>();
  const line = (p: LayerProgress): string => {
    const what = p.cached && p.state === 'done' ? 'already present'
      : p.state === 'downloading' ? `downloading ${humanSize(p.downloaded)} / ${humanSize(p.size)}`
      : p.state === 'downloaded' ? `downloaded ${humanSize(p.size)}`
      : p.state;
    return `${shortDigest(p.digest)}: ${what}`;
  };
  const draw = (layers: LayerProgress[]): void => {
    let text = drawn ? `\x1b[${drawn}A` : '';
    for (const p of layers) text += `\x1b[2K${line(p)}\n`;
    out.write(text);
    drawn = layers.length;
  };
  return {
    update(layers) {
      if (tty) {
        const now = Date.now();
        if (now - last >= 100) { last = now; draw(layers); }
        return;
      }
      // One line per state change; byte counts would flood a log.
      for (const p of layers) {
        if (p.state === 'waiting' || states.get(p.index) === p.state) continue;
        states.set(p.index, p.state);
        out.write(p.state === 'downloading' ? `${shortDigest(p.digest)}: downloading ${humanSize(p.size)}\n` : `${line(p)}\n`);
      }
    },
    finish(layers) {
      if (tty && layers.length) draw(layers);
    },
  };
}

function buildProgram(setCode: (code: number) => void): Command {
  const program = new Command('skiff image')
    .description('pull, list, inspect and remove images on this machine')
    .option('--data-dir <dir>', 'skiff data directory; images live in <dir>/images', DEFAULT_DATA_DIR)
    .option('--registry-config <file>', `registries file, k3s registries.yaml layout (default: ${DEFAULT_REGISTRY_CONFIG} when present)`)
    .exitOverride()
    .showHelpAfterError();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  const withService = async (fn: (svc: ImageService) => Promise<void>): Promise<void> => {
    const svc = await openService(globals());
    try { await fn(svc); } finally { svc.close(); }
  };

  program.command('pull <ref>')
    .description('download an image and unpack its layers; prints the resolved digest')
    .action((ref: string) => withService(async (svc) => {
      const progress = progressPrinter(process.stderr);
      let layers: LayerProgress[] = [];
      // Ctrl-C cancels the pull, which removes what it wrote before the process exits.
      const controller = new AbortController();
      const interrupt = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', interrupt);
      process.once('SIGTERM', interrupt);
      let result;
      try {
        result = await svc.pull(ref, {
          signal: controller.signal,
          onResolved: (name) => process.stderr.write(`Pulling ${name}\n`),
          onProgress: (l) => { layers = l; progress.update(l); },
        });
      } catch (err) {
        if (controller.signal.aborted) setCode(130);
        throw err;
      } finally {
        process.off('SIGINT', interrupt);
        process.off('SIGTERM', interrupt);
      }
      const { image, fetched } = result;
      progress.finish(layers);
      process.stdout.write(`Digest: ${image.digest}\n`);
      process.stdout.write(fetched ? `Pulled ${image.name}\n` : `${image.name} is up to date\n`);
    }));

  program.command('ls')
    .description('list images')
    .option('-q, --quiet', 'print names only')
    .action((opts: { quiet?: boolean }) => withService(async (svc) => {
      const images = await svc.list();
      if (opts.quiet) { for (const i of images) process.stdout.write(`${i.name}\n`); return; }
      const rows = [['NAME', 'IMAGE ID', 'DIGEST', 'SIZE', 'PLATFORM'],
        ...images.map((i) => [i.name, shortDigest(i.configDigest), shortDigest(i.digest), humanSize(i.size),
          [i.platform.os, i.platform.architecture, i.platform.variant].filter(Boolean).join('/')])];
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const r of rows) process.stdout.write(r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]!))).join('   ') + '\n');
    }));

  program.command('inspect <ref>')
    .description('print what skiff knows about an image, as JSON')
    .action((ref: string) => withService(async (svc) => {
      process.stdout.write(JSON.stringify(await svc.inspect(ref), null, 2) + '\n');
    }));

  program.command('rm <ref>')
    .description('remove an image name, then the content and snapshots only it used')
    .option('-f, --force', 'remove even a pinned image')
    .action((ref: string, opts: { force?: boolean }) => withService(async (svc) => {
      const { image, gc } = await svc.remove(ref, { force: opts.force });
      process.stdout.write(`Removed ${image.name}\n`);
      process.stdout.write(`Freed ${humanSize(gc.freedBytes)} (${gc.removedBlobs.length} blobs, ${gc.removedSnapshots.length} snapshots)\n`);
    }));

  program.command('prune')
    .description('remove content and snapshots no image uses')
    .action(() => withService(async (svc) => {
      const gc = await svc.prune();
      process.stdout.write(`Freed ${humanSize(gc.freedBytes)} (${gc.removedBlobs.length} blobs, ${gc.removedSnapshots.length} snapshots)\n`);
    }));

  program.command('unpack <ref> <dir>')
    .description('write the image\'s flattened root filesystem into DIR (which must not exist)')
    .action((ref: string, dir: string) => withService(async (svc) => {
      const image = await svc.unpack(ref, dir);
      process.stdout.write(`Unpacked ${image.name} into ${dir}\n`);
    }));

  program.hook('postAction', () => setCode(0));
  return program;
}


/** Runs `skiff image ...` and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 1;
  let failureCode = 1;
  const program = buildProgram((c) => { if (c === 0) code = 0; else failureCode = c; });
  try {
    await program.parseAsync(argv, { from: 'user' });
    if (argv.length === 0) {
      program.outputHelp();
      return 1;
    }
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`skiff image: ${(err as Error).message}\n`);
    return failureCode;
  }
}
