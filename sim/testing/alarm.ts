import type { EventMessage, IdGenerator } from '../../protocols/index.ts';

/** A vision alarm as a box reports it: a tricycle carrying passengers (`data` as given, 3 riders by default). */
export const tricycleAlarm = (
  newId: IdGenerator,
  deviceId: string,
  data: EventMessage['data'] = { riders: 3 },
): EventMessage => ({
  v: 1,
  id: newId(),
  deviceId,
  ts: new Date().toISOString(),
  kind: 'tricycle_passengers',
  severity: 'alarm',
  source: 'vision',
  data,
});
