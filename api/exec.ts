// `kubectl exec` over WebSocket, subprotocol v5.channel.k8s.io (what kubectl >= 1.30 uses):
// binary messages whose first byte is the channel: 0 stdin, 1 stdout, 2 stderr, 3 the final
// Status, 4 terminal resize, 255 "close stream" (client -> server, e.g. [255, 0] = stdin EOF).
// The server sends the Status on channel 3, then closes with code 1000.
//
// Tested so far: refusals before the upgrade (404, 503) against the real API server. The
// streaming path waits for the node agent to serve exec; test it end to end then.

import type { Readable, Writable } from 'node:stream';
import WebSocket from 'ws';
import { ApiError, type KubeClient } from './client.js';
import { resourcePath, type ResourceType } from './resources.js';
import type { Status } from './types.js';

/** What to run and where its streams go. */
export interface ExecOptions {
  command: string[];
  /** Defaults to the pod's only container (the server decides). */
  container?: string;
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
  tty?: boolean;
  signal?: AbortSignal;
}

/** How the command ended. */
export interface ExecResult {
  exitCode: number;
  /** The Status the server sent on channel 3. */
  status: Status;
}

/** A running exec: resize its terminal, wait for it. */
export interface ExecSession {
  resize(width: number, height: number): void;
  done: Promise<ExecResult>;
}

const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

// Exit code from a v5 Status: Success is 0, NonZeroExitCode carries it in causes[ExitCode].
function exitCodeOf(status: Status, what: string): number {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  throw new ApiError(what, { ...status, code: status.code ?? 500 });
}

/**
 * Starts `command` in a pod's container through the API server (pods/exec). Resolves the
 * session once the WebSocket is open; a refusal before that (404, 403, 503) rejects as
 * an ApiError with the server's Status.
 */
export function startExec(client: KubeClient, pods: ResourceType, key: { namespace: string; name: string }, opts: ExecOptions): Promise<ExecSession> {
  const what = `exec in pod "${key.namespace}/${key.name}"`;
  const url = new URL(resourcePath(pods, { ...key, subresource: 'exec' }), client.connection.server);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  for (const c of opts.command) url.searchParams.append('command', c);
  if (opts.container) url.searchParams.set('container', opts.container);
  url.searchParams.set('stdout', String(opts.stdout !== undefined));
  url.searchParams.set('stderr', String(opts.stderr !== undefined && !opts.tty));
  if (opts.stdin) url.searchParams.set('stdin', 'true');
  if (opts.tty) url.searchParams.set('tty', 'true');
  const conn = client.connection;
  const headers: Record<string, string> = {};
  if (conn.token) headers.Authorization = `Bearer ${conn.token}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
    headers,
    ca: conn.ca,
    cert: conn.cert,
    key: conn.key,
    rejectUnauthorized: !conn.insecureSkipTLSVerify,
    // Passed through to tls.connect; ws's option types do not list it.
    ...(conn.tlsServerName ? ({ servername: conn.tlsServerName } as object) : {}),
  });

  return new Promise<ExecSession>((resolveOpen, rejectOpen) => {
    let status: Status | undefined;
    let settle: { resolve: (r: ExecResult) => void; reject: (e: unknown) => void } | undefined;
    const done = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }));
    done.catch(() => {}); // observed by the caller through the session; avoid an unhandled rejection before that

    const onAbort = (): void => ws.close(1000);
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    ws.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Status | undefined;
        try {
          parsed = JSON.parse(text) as Status;
        } catch {
          parsed = undefined;
        }
        const st: Status = parsed?.kind === 'Status'
          ? { ...parsed, code: parsed.code ?? res.statusCode }
          : { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: res.statusCode, message: text.trim() || `HTTP ${res.statusCode}` };
        rejectOpen(new ApiError(what, st));
      });
    });
    ws.on('error', (err) => {
      const wrapped = new Error(`${what}: ${err.message}`, { cause: err });
      rejectOpen(wrapped);
      settle!.reject(wrapped);
    });
    ws.on('open', () => {
      if (ws.protocol !== 'v5.channel.k8s.io') {
        ws.close(1000);
        rejectOpen(new Error(`${what}: server chose subprotocol "${ws.protocol}", Skiff speaks v5.channel.k8s.io`));
        return;
      }
      if (opts.stdin) {
        opts.stdin.on('data', (chunk: Buffer | string) => {
          const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          ws.send(Buffer.concat([Buffer.from([CHANNEL.stdin]), data]));
        });
        opts.stdin.on('end', () => ws.send(Buffer.from([CHANNEL.close, CHANNEL.stdin])));
      }
      resolveOpen({
        resize: (width, height) => ws.send(Buffer.concat([Buffer.from([CHANNEL.resize]), Buffer.from(JSON.stringify({ Width: width, Height: height }))])),
        done,
      });
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary || data.length === 0) return;
      const payload = data.subarray(1);
      switch (data[0]) {
        case CHANNEL.stdout:
          opts.stdout?.write(payload);
          break;
        case CHANNEL.stderr:
          opts.stderr?.write(payload);
          break;
        case CHANNEL.status:
          status = JSON.parse(payload.toString('utf8')) as Status;
          break;
      }
    });
    ws.on('close', () => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) {
        settle!.reject(new Error(`${what}: aborted`));
        return;
      }
      if (!status) {
        settle!.reject(new Error(`${what}: the connection closed before the command's exit status arrived`));
        return;
      }
      try {
        settle!.resolve({ exitCode: exitCodeOf(status, what), status });
      } catch (err) {
        settle!.reject(err);
      }
    });
  });
}
