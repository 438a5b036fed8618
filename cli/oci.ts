// `skiff oci`: a runc-compatible command line over nodeagent/runtime, so tools and people
// who drive runc (containerd's shim, scripts, the OCI validation suites) can drive Skiff.
// It applies config.json as written; the Kubernetes defaults are the agent's business.
//
// Arguments are parsed by hand: `skiff oci run` is benchmarked against crun, and every
// module loaded at startup costs milliseconds.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { resolve } from 'node:path';

const DEFAULT_ROOT = '/run/skiff/oci';

const USAGE = `Usage: skiff oci [--root DIR] COMMAND [options] ID

Commands (as runc):
  create --bundle DIR [--pid-file FILE] ID   create a container; its process waits for start
  start ID                                   run the created container's process
  run --bundle DIR [--pid-file FILE] [--detach] ID
                                             create and start; in the foreground exits with its status
  state ID                                   print the OCI state JSON
  kill [--all] ID [SIGNAL]                   send SIGNAL (default SIGTERM) to the init (--all: every process, SIGKILL only)
  delete [--force] ID                        remove a stopped container (--force: kill it first)
  exec [--tty] [--env K=V]... [--cwd DIR] ID COMMAND [ARG...]
                                             run a process in a running container
  list [--format table|json] [--quiet]       list containers
  spec [--bundle DIR]                        write a config.json like \`runc spec\`

Global options: --root DIR (default ${DEFAULT_ROOT}); --log, --log-format, --debug are accepted and ignored.`;

/** A usage error: printed with a hint, exit status 1 (runc's behaviour for bad arguments). */
class UsageError extends Error {}

interface Parsed {
  flags: Map<string, string[]>;
  positional: string[];
}

/**
 * Parses `args` against `spec` (flag -> takes a value?), accepting `--flag value`,
 * `--flag=value`, `-f value` and a `--` terminator. With `stopAtPositional`, everything
 * after the first positional is kept as-is (exec's command line).
 */
function parseArgs(args: string[], spec: Record<string, boolean>, aliases: Record<string, string> = {}, stopAtPositional = 0): Parsed {
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (stopAtPositional > 0 && positional.length >= stopAtPositional) {
      positional.push(arg);
      continue;
    }
    if (arg === '--') {
      positional.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    let name = arg.replace(/^--?/, '');
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    name = aliases[name] ?? name;
    const takesValue = spec[name];
    if (takesValue === undefined) throw new UsageError(`unknown option ${arg}`);
    if (takesValue && value === undefined) {
      value = args[++i];
      if (value === undefined) throw new UsageError(`option --${name} needs a value`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value ?? 'true']);
  }
  return { flags, positional };
}

function one(p: Parsed, what: string): string {
  const [id, ...rest] = p.positional;
  if (!id) throw new UsageError(`${what}: missing container id`);
  if (rest.length > 0) throw new UsageError(`${what}: unexpected arguments ${rest.join(' ')}`);
  return id;
}

function flag(p: Parsed, name: string): string | undefined {
  return p.flags.get(name)?.at(-1);
}

/** SIGKILL, KILL, kill, 9 -> 9. */
function parseSignal(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  const name = (value.toUpperCase().startsWith('SIG') ? value.toUpperCase() : `SIG${value.toUpperCase()}`) as NodeJS.Signals;
  const n = constants.signals[name];
  if (n === undefined) throw new UsageError(`unknown signal ${value}`);
  return n;
}

async function runtime(root: string) {
  const { Runtime } = await import('../nodeagent/runtime/index.js');
  return new Runtime(root);
}

async function load(root: string, id: string) {
  const rt = await runtime(root);
  const c = rt.load(id);
  if (!c) throw new Error(`container ${id} does not exist (looked in ${root}); \`skiff oci list\` shows the containers there`);
  return c;
}

function readBundle(bundle: string) {
  const path = resolve(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new Error(`read bundle ${bundle}: no config.json there; create one with \`skiff oci spec --bundle ${bundle}\``);
  }
  try {
    return JSON.parse(text) as import('../nodeagent/runtime/index.js').OciSpec;
  } catch (err) {
    throw new Error(`read bundle ${path}: not valid JSON: ${(err as Error).message}`);
  }
}

async function create(root: string, args: string[], foreground = false) {
  const p = parseArgs(args, { bundle: true, 'pid-file': true, 'console-socket': true, 'no-pivot': false, 'no-new-keyring': false, 'preserve-fds': true, detach: false }, { b: 'bundle', d: 'detach' });
  const id = one(p, 'create');
  const bundle = resolve(flag(p, 'bundle') ?? '.');
  const spec = readBundle(bundle);
  if (spec.process?.terminal && !(foreground && !p.flags.has('detach'))) {
    // runc refuses the same: a detached terminal needs --console-socket to hand the pty
    // master over, and Node cannot pass an fd over a socket (SCM_RIGHTS).
    throw new Error(`create container ${id}: process.terminal is true, which skiff oci supports only for \`run\` in the foreground (no --console-socket); set "terminal": false in ${bundle}/config.json`);
  }
  const rt = await runtime(root);
  // As runc: the container's stdio is the caller's (detached containers keep them open).
  const container = await rt.create({ id, bundle, spec, io: { mode: 'inherit', stdio: [0, 1, 2] } });
  const pidFile = flag(p, 'pid-file');
  if (pidFile) writeFileSync(resolve(pidFile), String(container.state.pid));
  return { container, detach: p.flags.has('detach') };
}

async function run(root: string, args: string[]): Promise<number> {
  const { container, detach } = await create(root, args, true);
  // Forward what a terminal user sends to the init, as runc does in the foreground.
  const forward = (sig: NodeJS.Signals) => {
    try { container.kill(constants.signals[sig]); } catch { /* already stopped */ }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  if (!detach) for (const s of signals) process.on(s, forward);
  const terminal = container.terminalFd !== undefined ? await relayTerminal(container) : undefined;
  try {
    await container.start();
    if (detach) return 0;
    const exit = await container.wait();
    // Output the container wrote just before exiting is still in the pty: drain it.
    if (terminal) await Promise.race([terminal.drained, new Promise((r) => setTimeout(r, 1000))]);
    await container.remove({ force: true });
    return exit.exitCode;
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw err;
  } finally {
    for (const s of signals) process.off(s, forward);
    terminal?.close();
  }
}

type RuntimeContainer = Awaited<ReturnType<typeof load>>;

/**
 * Relays a terminal container's pty master to our stdio, as `runc run` does for a
 * terminal: stdin in raw mode when it is a terminal, window size followed.
 */
async function relayTerminal(container: RuntimeContainer): Promise<{ drained: Promise<void>; close: () => void }> {
  const fd = container.terminalFd!;
  const [{ ReadStream }, { writeSync }] = await Promise.all([import('node:tty'), import('node:fs')]);
  const raw = process.stdin.isTTY === true;
  if (raw) process.stdin.setRawMode(true);
  const resize = () => {
    if (process.stdout.isTTY) container.resizeTerminal(process.stdout.rows, process.stdout.columns);
  };
  resize();
  process.stdout.on('resize', resize);
  const master = new ReadStream(fd);
  // Reading the master fails with EIO once the container's last pty user is gone: that is EOF.
  const drained = new Promise<void>((resolve) => {
    master.on('data', (chunk) => process.stdout.write(chunk));
    master.on('error', () => resolve());
    master.on('end', () => resolve());
    master.on('close', () => resolve());
  });
  const input = (chunk: Buffer) => {
    try { writeSync(fd, chunk); } catch { /* container gone */ }
  };
  process.stdin.on('data', input);
  return {
    drained,
    close: () => {
      process.stdin.off('data', input);
      process.stdin.pause();
      if (raw) process.stdin.setRawMode(false);
      process.stdout.off('resize', resize);
      master.destroy(); // closes the master fd
    },
  };
}

async function exec(root: string, args: string[]): Promise<number> {
  const p = parseArgs(args, { tty: false, env: true, cwd: true, detach: false, user: true }, { t: 'tty', e: 'env', d: 'detach', u: 'user' }, 1);
  const [id, ...command] = p.positional;
  if (!id) throw new UsageError('exec: missing container id');
  if (command.length === 0) throw new UsageError('exec: missing the command to run');
  if (p.flags.has('user')) throw new UsageError('exec: --user is not supported yet; the process runs as the container\'s user');
  const c = await load(root, id);
  const spec = JSON.parse(readFileSync(resolve(c.dir, 'config.json'), 'utf8')) as { process?: { env?: string[] } };
  const extraEnv = p.flags.get('env') ?? [];
  const env = extraEnv.length > 0 ? [...(spec.process?.env ?? []), ...extraEnv] : undefined;
  const cwd = flag(p, 'cwd');
  const proc = await c.exec(command, { ...(env ? { env } : {}), ...(cwd ? { cwd } : {}), tty: p.flags.has('tty'), stdio: [0, 1, 2] });
  if (p.flags.has('detach')) return 0;
  const status = await proc.exited;
  return status.exitCode;
}

/** Runs `skiff oci ...` and resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let root = DEFAULT_ROOT;
  let i = 0;
  // Global options come before the command, as in runc.
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const [name, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (name === '--root') root = inline ?? argv[++i] ?? '';
    else if (name === '--log' || name === '--log-format' || name === '--criu') { if (inline === undefined) i++; }
    else if (name === '--debug') { /* accepted */ }
    else if (name === '--help' || name === '-h') { console.log(USAGE); return 0; }
    else if (name === '--systemd-cgroup') { console.error('skiff oci: --systemd-cgroup is not supported: Skiff drives cgroupfs directly'); return 1; }
    else { console.error(`skiff oci: unknown global option ${argv[i]}\n\n${USAGE}`); return 1; }
  }
  if (!root) { console.error('skiff oci: --root needs a directory'); return 1; }
  root = resolve(root);
  const [command, ...args] = argv.slice(i);
  try {
    switch (command) {
      case 'create': await create(root, args); return 0;
      case 'run': return await run(root, args);
      case 'start': { const c = await load(root, one(parseArgs(args, {}), 'start')); await c.start(); return 0; }
      case 'state': { const c = await load(root, one(parseArgs(args, {}), 'state')); console.log(JSON.stringify(c.ociState(), null, 2)); return 0; }
      case 'kill': {
        const p = parseArgs(args, { all: false }, { a: 'all' });
        const [id, sig, ...rest] = p.positional;
        if (!id || rest.length > 0) throw new UsageError('kill: usage: kill [--all] ID [SIGNAL]');
        const signal = parseSignal(sig ?? 'SIGTERM');
        const c = await load(root, id);
        if (p.flags.has('all')) {
          if (signal !== constants.signals.SIGKILL) throw new UsageError('kill --all: only SIGKILL is supported (it kills the whole cgroup)');
          await c.killAll();
        } else {
          c.kill(signal);
        }
        return 0;
      }
      case 'delete': {
        const p = parseArgs(args, { force: false }, { f: 'force' });
        const id = one(p, 'delete');
        const rt = await runtime(root);
        const c = rt.load(id);
        if (!c) {
          if (p.flags.has('force')) return 0; // runc: delete --force of a missing container succeeds
          throw new Error(`container ${id} does not exist (looked in ${root})`);
        }
        await c.remove({ force: p.flags.has('force') });
        return 0;
      }
      case 'exec': return await exec(root, args);
      case 'list': case 'ls': {
        const p = parseArgs(args, { format: true, quiet: false }, { f: 'format', q: 'quiet' });
        const rt = await runtime(root);
        const states = rt.list().map((c) => c.ociState());
        if (p.flags.has('quiet')) for (const s of states) console.log(s.id);
        else if (flag(p, 'format') === 'json') console.log(JSON.stringify(states));
        else {
          const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created])];
          const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
          for (const r of rows) console.log(r.map((cell, col) => cell.padEnd(widths[col]! + 3)).join('').trimEnd());
        }
        return 0;
      }
      case 'spec': {
        const p = parseArgs(args, { bundle: true, rootless: false }, { b: 'bundle' });
        if (p.flags.has('rootless')) throw new UsageError('spec --rootless is not supported');
        const path = resolve(flag(p, 'bundle') ?? '.', 'config.json');
        if (existsSync(path)) throw new Error(`write ${path}: config.json exists; remove it first`);
        const { generateRuncSpec } = await import('../nodeagent/runtime/runc-spec.js');
        writeFileSync(path, `${JSON.stringify(generateRuncSpec(), null, '\t')}\n`);
        return 0;
      }
      case undefined: case 'help':
        console.log(USAGE);
        return command ? 0 : 1;
      default:
        console.error(`skiff oci: unknown command ${command}; supported: create start run state kill delete exec list spec`);
        return 1;
    }
  } catch (err) {
    const e = err as Error & { step?: string };
    console.error(`skiff oci ${command}: ${e.message}${e.step && !e.message.includes(e.step) ? ` (step ${e.step})` : ''}`);
    if (err instanceof UsageError) console.error(`Run \`skiff oci --help\` for usage.`);
    return 1;
  }
}
