/** Machine codes a driver reports; telemetry and self-tests show them to people. */
export type HardwareErrorCode =
  | 'port_closed'
  | 'no_reply'
  | 'crc_error'
  | 'bad_reply'
  | 'device_exception'
  | 'device_error'
  | 'lamp_open_circuit'
  | 'not_ready'
  | 'camera_failed'
  | 'image_too_large'
  | 'bad_image'
  | 'stopped'
  | 'no_fix';

export class HardwareError extends Error {
  override readonly name = 'HardwareError';
  constructor(
    readonly code: HardwareErrorCode,
    message: string,
    readonly device?: string,
  ) {
    super(message);
  }
}

export const isHardwareError = (e: unknown): e is HardwareError => e instanceof HardwareError;

/** Turn anything thrown into a { code, message } pair for health reports. */
export function errorInfo(e: unknown): { code: string; message: string } {
  if (isHardwareError(e)) return { code: e.code, message: e.message };
  const err = e as NodeJS.ErrnoException;
  return { code: err?.code ?? 'error', message: err?.message ?? String(e) };
}
