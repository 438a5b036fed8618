// The skiff command's dispatcher. Each verb lives in its own module and is loaded only
// when used, so `skiff oci run` does not pay for the API server's imports.

/** A verb's entry point: parses its own arguments and resolves to the exit code. */
export type CommandMain = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<{ main: CommandMain }> }> = {
  server: { summary: 'run a single-node cluster (API server, storage, ...)', load: () => import('./server.js') },
  apply: { summary: 'create or update objects from YAML or JSON files', load: () => import('./apply.js') },
  get: { summary: 'list or show objects', load: () => import('./get.js') },
  delete: { summary: 'delete objects by file or by kind and name', load: () => import('./delete.js') },
  version: { summary: 'print client and server versions', load: () => import('./version.js') },
  oci: { summary: 'runc-compatible low-level container runtime', load: () => import('./oci.js') },
  image: { summary: 'pull, list, inspect and remove images', load: () => import('./image.js') },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: skiff COMMAND [options]', '', 'Commands:', ...lines, '', 'Run `skiff COMMAND --help` for a command\'s options.'].join('\n');
}

/** Runs the command line and resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`skiff: unknown command "${name}"\n\n${usage()}`);
    return 1;
  }
  const mod = await command.load();
  return mod.main(rest);
}
