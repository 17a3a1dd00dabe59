/** Decoders return values, never throw: bad input from a wire is normal, not exceptional. */
export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export type ProtocolErrorCode =
  | 'bad_json'
  | 'bad_schema'
  | 'bad_topic'
  | 'bad_crc'
  | 'bad_checksum'
  | 'bad_length'
  | 'bad_depth'
  | 'bad_frame'
  | 'unknown_function'
  | 'unknown_kind'
  | 'bad_image'
  | 'bad_hash'
  | 'bad_signature';

export interface ProtocolError {
  code: ProtocolErrorCode;
  /** Human-readable, names the field or byte that is wrong. */
  message: string;
  /** JSON pointer of the offending field, for schema errors. */
  path?: string;
}

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const fail = (code: ProtocolErrorCode, message: string, path?: string): Result<never, ProtocolError> => ({
  ok: false,
  error: path === undefined ? { code, message } : { code, message, path },
});
