import { Type, type TProperties } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, ULID_PATTERN } from '../ids.ts';

/** Bumped when a message changes incompatibly; decoders accept only versions they know. */
export const SCHEMA_VERSION = 1;

export const IsoTime = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?(Z|[+-]\\d{2}:\\d{2})$',
  description: 'ISO 8601 time with offset, e.g. 2026-11-29T08:00:00.000+08:00',
});
export const MessageId = Type.String({ pattern: ULID_PATTERN, description: 'ULID, unique and time-sortable' });
export const DeviceId = Type.String({ pattern: DEVICE_ID_PATTERN });
export const Sha256Hex = Type.String({ pattern: '^[0-9a-f]{64}$' });

/** Every message carries these: schema version, unique sortable id, device and time. */
export function envelope<P extends TProperties>(properties: P) {
  return Type.Object(
    {
      v: Type.Literal(SCHEMA_VERSION),
      id: MessageId,
      deviceId: DeviceId,
      ts: IsoTime,
      ...properties,
    },
    { additionalProperties: false },
  );
}

export interface Envelope {
  v: typeof SCHEMA_VERSION;
  id: string;
  deviceId: string;
  ts: string;
}
