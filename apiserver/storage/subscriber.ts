// One watcher's delivery queue, shared by the SQLite backend and the watch cache: events are
// queued synchronously by whoever learns of them and handed to the watcher in one batch per
// event-loop turn, never from inside the call that produced them.
import type { Watch, WatchEvent } from './interface.js';

/** What a subscriber hands events, progress and its final error to. */
export interface SubscriberCallbacks {
  onEvents: (events: WatchEvent[]) => void;
  onError: (err: Error) => void;
  onProgress?: (revision: number) => void;
}

/** A queue that delivers each event with revision > cursor once, in the order enqueued. */
export class Subscriber implements Watch {
  private pending: WatchEvent[] = [];
  private scheduled = false;
  private cancelled = false;

  constructor(
    private readonly callbacks: SubscriberCallbacks,
    /** Revision of the last event accepted; older or equal events are dropped as duplicates. */
    public cursor: number,
    private readonly onCancel: (s: Subscriber) => void = () => {},
  ) {}

  get active(): boolean {
    return !this.cancelled;
  }

  /** Queues one event (ignored if at or below the cursor). */
  enqueue(event: WatchEvent): void {
    if (this.cancelled || event.kv.modRevision <= this.cursor) return;
    this.cursor = event.kv.modRevision;
    this.pending.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Hands every queued event to onEvents now. */
  flush(): void {
    this.scheduled = false;
    if (this.cancelled || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.callbacks.onEvents(batch);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** Reports that every event up to `revision` has been delivered (events still queued go first). */
  progress(revision: number): void {
    if (this.cancelled || !this.callbacks.onProgress) return;
    this.flush();
    if (this.cancelled) return;
    this.cursor = Math.max(this.cursor, revision);
    try {
      this.callbacks.onProgress(revision);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /** Ends the subscription with an error, delivered after any queued events. */
  failLater(err: Error): void {
    setImmediate(() => {
      this.flush();
      this.fail(err);
    });
  }

  /** Ends the subscription with an error now; later events are dropped. */
  fail(err: Error): void {
    if (this.cancelled) return;
    this.cancel();
    this.callbacks.onError(err);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.pending = [];
    this.onCancel(this);
  }
}
