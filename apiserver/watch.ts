// `?watch=true`: a chunked stream of {"type","object"} lines. Storage events are turned
// into API events here: decoded, filtered by selectors (an object that stops matching is
// sent as DELETED, one that starts matching as ADDED, as kube's cacher does), optionally
// rendered as Table rows, with BOOKMARKs and a 410 ERROR when the start is compacted.
import type { ServerResponse } from 'node:http';
import { CompactedError, type WatchEvent } from './storage/index.js';
import { collectionPrefix, decodeObject } from './object-store.js';
import type { WatchSource } from './watch-source.js';
import { apiVersionOf, type KubeObject, type ResourceInfo } from './resources.js';
import { fieldValues, selectableFields } from './rest.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { badRequest, expired, statusOf } from './status.js';
import { toTable, type IncludeObject } from './table.js';

export interface WatchRequest {
  info: ResourceInfo;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  timeoutSeconds?: number;
  /** Render objects as one-row Tables (kubectl get -w). */
  table?: { include: IncludeObject };
}

export interface WatchSettings {
  /** How often a BOOKMARK is sent when asked for (kube: about once a minute). */
  bookmarkIntervalMs: number;
  /** Upper bound for a watch without timeoutSeconds. */
  defaultTimeoutSeconds: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

// A client that lets this much pile up unread is cut off, as kube's cacher drops watchers
// that cannot keep up; it re-watches from its last resourceVersion.
const MAX_UNREAD_BYTES = 32 * 1024 * 1024;

/**
 * Serves one watch until the client goes away, the timeout passes, or the storage watch
 * fails. Selector and resourceVersion errors are thrown before any byte is written.
 */
export async function serveWatch(res: ServerResponse, source: WatchSource, req: WatchRequest, settings: WatchSettings, onEnd: (stop: () => void) => () => void): Promise<void> {
  const { info } = req;
  const labels = parseLabelSelector(req.labelSelector);
  const fields = parseFieldSelector(req.fieldSelector, selectableFields(info));
  const matches = (o: KubeObject): boolean => matchesLabels(labels, o.metadata?.labels) && matchesFields(fields, fieldValues(info, o));
  const rvText = req.resourceVersion;
  let startRevision: number | undefined;
  if (rvText !== undefined && rvText !== '' && rvText !== '0') {
    startRevision = Number(rvText);
    if (!Number.isSafeInteger(startRevision) || startRevision < 0) throw badRequest(`invalid resource version "${rvText}"`);
  }
  // Unset or "0": the current state first, as synthetic ADDED events.
  const prefix = collectionPrefix(info, req.namespace);
  let initial: KubeObject[] = [];
  if (startRevision === undefined) {
    const snap = await source.snapshot(info, prefix);
    initial = snap.items.map((kv) => decodeObject(info, kv)).filter(matches);
    startRevision = snap.revision;
  }

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let headersSent = false;
  let lastRevision = startRevision;
  let closed = false;
  // The initial state may be large and is written at once; the unread limit applies after it.
  let live = false;
  const send = (type: EventType, object: unknown): void => {
    if (closed) return;
    let out = object;
    if (req.table && (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED')) {
      const o = object as KubeObject;
      out = toTable(info, [o], { resourceVersion: o.metadata?.resourceVersion }, req.table.include, !headersSent);
      headersSent = true;
    }
    res.write(`${JSON.stringify({ type, object: out })}\n`);
    if (live && res.writableLength > MAX_UNREAD_BYTES) stop();
  };

  let watch: { cancel(): void } | undefined;
  const timers: NodeJS.Timeout[] = [];
  const stop = (): void => {
    if (closed) return;
    closed = true;
    watch?.cancel();
    for (const t of timers) clearTimeout(t), clearInterval(t);
    unregister();
    res.end();
  };
  const unregister = onEnd(stop);
  // P5: the response's close, not the request's, says the client went away.
  res.on('close', stop);

  for (const o of initial) send('ADDED', o);
  live = true;

  const bookmark = (): void => {
    send('BOOKMARK', { kind: info.kind, apiVersion: apiVersionOf(info), metadata: { resourceVersion: String(lastRevision) } });
  };
  if (req.allowWatchBookmarks) timers.push(setInterval(bookmark, settings.bookmarkIntervalMs));
  const timeout = req.timeoutSeconds && req.timeoutSeconds > 0 ? Math.min(req.timeoutSeconds, settings.defaultTimeoutSeconds) : settings.defaultTimeoutSeconds;
  timers.push(setTimeout(stop, timeout * 1000));

  const onEvents = (events: WatchEvent[]): void => {
    for (const ev of events) {
      lastRevision = Math.max(lastRevision, ev.kv.modRevision);
      const now = ev.type === 'put' ? decodeObject(info, ev.kv) : undefined;
      const before = ev.prevKv ? decodeObject(info, ev.prevKv, ev.kv.modRevision) : undefined;
      const nowMatches = now ? matches(now) : false;
      const beforeMatches = before ? matches(before) : false;
      if (now && nowMatches) send(beforeMatches ? 'MODIFIED' : 'ADDED', now);
      else if (now && beforeMatches) send('DELETED', now);
      else if (!now && before && beforeMatches) send('DELETED', before);
    }
  };
  watch = await source.watch(info, {
    prefix,
    afterRevision: startRevision,
    onEvents,
    onError: (err) => {
      const status = err instanceof CompactedError
        ? expired(`too old resource version: ${startRevision} (${err.compacted})`).toStatus()
        : statusOf(err);
      send('ERROR', status);
      stop();
    },
    onProgress: (rev) => { lastRevision = Math.max(lastRevision, rev); },
  });
  if (closed) watch.cancel();
}
