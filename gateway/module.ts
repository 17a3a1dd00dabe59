import type { RouteDef } from './api/route.ts';

/**
 * One feature of the gateway (devices, intake, responses, …), in the manner of Zigbee2MQTT's
 * extensions: built by main.ts from the context and the few services it names, it does nothing in
 * its constructor; start() opens what it needs, stop() lets go of it. main starts modules in order
 * and stops them in reverse.
 */
export interface GatewayModule {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  /** The HTTP routes it serves (each with its access rule); read once every module has started. */
  routes?(): RouteDef[];
  /** Its figures for /health. */
  health?(): Record<string, unknown>;
}
