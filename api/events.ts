// Events people read with `kubectl describe` and `kubectl get events`: the scheduler
// explaining a placement, a controller saying why it cannot proceed, the node agent
// reporting a pull. Like client-go's recorder, a repeat of the same event about the same
// object bumps `count` and `lastTimestamp` instead of adding another Event.

import { isNotFound, type KubeClient } from './client.js';
import { findByApiVersionKind } from './resources.js';
import type { Event, KubeObject } from './types.js';

/** How long a repeat is folded into the previous Event (client-go uses the same window). */
const correlationWindowMs = 10 * 60 * 1000;
/** Remembered events; the oldest are forgotten beyond this (client-go's LRU size). */
const maxRemembered = 4096;

interface Remembered {
  namespace: string;
  name: string;
  count: number;
  firstSeen: number;
}

export interface EventRecorderOptions {
  /** The machine the component runs on (source.host, reportingInstance). */
  host?: string;
  /** Called when writing an Event fails; recording never throws. */
  onError?: (err: unknown) => void;
  /** Clock, for tests of the correlation window. */
  now?: () => Date;
}

/** Writes core/v1 Events for one component ('default-scheduler', 'deployment-controller', 'kubelet'). */
export class EventRecorder {
  private readonly seen = new Map<string, Remembered>();
  private readonly now: () => Date;

  constructor(
    private readonly client: KubeClient,
    readonly component: string,
    private readonly opts: EventRecorderOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Records an Event about `obj`. Events about cluster-scoped objects (Nodes) go to the
   * 'default' namespace, as Kubernetes does. Resolves when written (or when writing failed
   * and onError was told): an Event is never worth failing the caller's work over.
   */
  async record(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const meta = obj.metadata ?? {};
    const namespace = meta.namespace || 'default';
    const key = [obj.apiVersion, obj.kind, meta.namespace ?? '', meta.name, meta.uid ?? '', type, reason, message].join('\u0000');
    const now = this.now();
    const timestamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const events = this.client.resource('Event');
    try {
      const prior = this.seen.get(key);
      if (prior && now.getTime() - prior.firstSeen < correlationWindowMs) {
        try {
          prior.count++;
          await events.patch(
            { namespace: prior.namespace, name: prior.name },
            { count: prior.count, lastTimestamp: timestamp },
            { type: 'merge' },
          );
          this.remember(key, prior);
          return;
        } catch (err) {
          // Expired or deleted meanwhile: start a new Event below.
          if (!isNotFound(err)) throw err;
        }
      }
      // Kubernetes names events <object>.<unix nanoseconds in hex>; the clock gives
      // milliseconds, hrtime supplies the sub-millisecond digits that keep names apart.
      const nanos = BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
      const name = `${meta.name ?? 'unknown'}.${nanos.toString(16)}`;
      const rt = obj.apiVersion && obj.kind ? findByApiVersionKind(obj.apiVersion, obj.kind) : undefined;
      const event: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: meta.name,
          namespace: rt?.namespaced === false ? undefined : meta.namespace,
          uid: meta.uid,
          resourceVersion: meta.resourceVersion,
        },
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: timestamp,
        lastTimestamp: timestamp,
        source: { component: this.component, host: this.opts.host },
        reportingComponent: this.component,
        reportingInstance: this.opts.host ?? '',
      };
      await events.create(event);
      this.remember(key, { namespace, name, count: 1, firstSeen: now.getTime() });
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  private remember(key: string, entry: Remembered): void {
    // Map keeps insertion order: re-inserting marks the entry as most recent.
    this.seen.delete(key);
    this.seen.set(key, entry);
    if (this.seen.size > maxRemembered) this.seen.delete(this.seen.keys().next().value!);
  }
}
