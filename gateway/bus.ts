import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type {
  CommandResultMessage,
  EventMessage,
  EvidenceManifest,
  OtaStatusMessage,
  SelfTestReport,
  StatusMessage,
  TelemetryMessage,
} from '../protocols/index.ts';

/**
 * What modules tell each other, typed. Intake announces each new (stored, not duplicate) device
 * message by its kind; responses announce cases and response moves; access announces account
 * changes. A listener handles its own errors; one that rejects anyway is logged, not fatal.
 */
export interface GatewayEvents {
  event: [EventMessage];
  command_result: [CommandResultMessage];
  telemetry: [TelemetryMessage];
  status: [StatusMessage];
  selftest: [SelfTestReport];
  evidence: [EvidenceManifest];
  ota: [OtaStatusMessage];
  /** A case opened for an alarm. */
  case: [{ id: string; deviceId: string }];
  /** A response moved to a new state. */
  response: [{ id: string; caseId: string; kind: string; state: string }];
  /** An account was removed, or its password, role or tokens changed (any process). */
  account_changed: [{ username: string; change: string }];
  /** Every module has started: boxes may now come in. */
  started: [];
}

export type GatewayBus = EventEmitter<GatewayEvents>;

export function createBus(log?: Logger): GatewayBus {
  const bus = new EventEmitter<GatewayEvents>({ captureRejections: true });
  Object.assign(bus, {
    [Symbol.for('nodejs.rejection')]: (err: Error, event: string) =>
      log?.error({ err: err.message, event }, 'a listener failed on the gateway bus'),
  });
  // Every module and every open dashboard stream listens; the default cap of 10 is for leaks in
  // small programs, not for a hub.
  bus.setMaxListeners(0);
  return bus;
}
