// `kubectl get events`: LAST SEEN falls back to the first timestamp or eventTime, and a
// series' last observation wins; OBJECT is `kind/name` in lower-case kind.

import { age } from './human-duration.js';
import { get, num, str, type Obj } from './fields.js';
import { column, type KindPrinter } from './table.js';

function firstNonEmpty(...values: string[]): string {
  return values.find((v) => v !== '') ?? '';
}

export const eventPrinter: KindPrinter = {
  columns: [
    column('Last Seen', 'Time since the event was last observed.'),
    column('Type', 'Normal or Warning.'),
    column('Reason', 'Short machine-readable reason for the event.'),
    column('Object', 'The object the event is about, as kind/name.'),
    column('Subobject', 'The part of the object, such as a container (involvedObject.fieldPath).', { priority: 1 }),
    column('Source', 'The component that reported the event.', { priority: 1 }),
    column('Message', 'What happened, for a person to read.'),
    column('First Seen', 'Time since the event was first observed.', { priority: 1 }),
    column('Count', 'How many times the event was observed.', { priority: 1 }),
    column('Name', 'Name of the event object.', { priority: 1, format: 'name' }),
  ],
  cells: (ev: Obj, now: Date) => {
    const first = str(ev, 'firstTimestamp') !== '' ? age(str(ev, 'firstTimestamp'), now) : age(get(ev, 'eventTime'), now);
    let last = str(ev, 'lastTimestamp') !== '' ? age(str(ev, 'lastTimestamp'), now) : first;
    let count = num(ev, 'count');
    if (get(ev, 'series') !== undefined && get(ev, 'series') !== null) {
      last = age(get(ev, 'series.lastObservedTime'), now);
      count = num(ev, 'series.count');
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(ev, 'involvedObject.kind').toLowerCase();
    const name = str(ev, 'involvedObject.name');
    const component = firstNonEmpty(str(ev, 'source.component'), str(ev, 'reportingComponent'));
    const host = firstNonEmpty(str(ev, 'source.host'), str(ev, 'reportingInstance'));
    return [
      last,
      str(ev, 'type'),
      str(ev, 'reason'),
      name !== '' ? `${kind}/${name}` : kind,
      str(ev, 'involvedObject.fieldPath'),
      host !== '' ? `${component}, ${host}` : component,
      str(ev, 'message').trim(),
      first,
      count,
      str(ev, 'metadata.name'),
    ];
  },
};
