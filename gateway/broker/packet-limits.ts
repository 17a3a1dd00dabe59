import type { Client, PublishPacket } from 'aedes';
import { MAX_PAYLOAD_BYTES, parseTopic } from '../../protocols/index.ts';

/** How much a client may send: before it has logged in, and per publish by kind after. */
export interface PacketLimits {
  /** Everything a connection sends before its log-in is accepted (CONNECT, will, password). */
  loginBytes: number;
  /** A report (event, status, telemetry…): the size the intake reads. */
  messageBytes: number;
  /** An evidence image (…/image/{sha256}). */
  imageBytes: number;
}

export const DEFAULT_PACKET_LIMITS: PacketLimits = {
  loginBytes: 16 * 1024,
  messageBytes: MAX_PAYLOAD_BYTES,
  imageBytes: 4 * 1024 * 1024,
};

/** Room for the topic and header of a publish at the largest payload allowed. */
const HEADER_ROOM = 1024;

/** The largest publish packet any kind allows: its payload limit and room for topic and header. */
export const largestPublish = (limits: PacketLimits): number =>
  Math.max(limits.messageBytes, limits.imageBytes) + HEADER_ROOM;

export interface PacketLimitStats {
  /** Connections closed for sending too much before log-in or announcing a packet over every limit. */
  oversizeClosed: number;
  /** Publishes acknowledged and dropped for exceeding their kind's limit. */
  oversizeDropped: number;
}

/** The parts of aedes' client this reads (its MQTT parser is not in aedes' types). */
interface ParsingClient {
  connected: boolean;
  conn: { destroy(): void };
  _parser: { parse(buf: Buffer): unknown; packet?: { length: number } };
}

/**
 * Close a connection as soon as it sends more than it may, before the bytes pile up: aedes'
 * parser would buffer a whole announced packet (three sockets announcing 200 MB CONNECTs held
 * 430 MB). Before log-in, everything received counts against `loginBytes`; after it, a packet
 * may announce at most twice the largest publish any kind allows (one a little over its kind's
 * limit is read, acknowledged and dropped: see dropIfOversize). Reads the parser's announced
 * length after each chunk, so at most one socket chunk past a limit is ever held.
 */
export function limitPacketSize(
  client: unknown,
  limits: PacketLimits,
  refused: (why: 'login' | 'packet', bytes: number) => void,
): void {
  const c = client as ParsingClient;
  const parser = c._parser;
  const parse = parser.parse.bind(parser);
  const largest = 2 * largestPublish(limits);
  let beforeLogin = 0;
  parser.parse = (buf: Buffer) => {
    if (!c.connected) {
      beforeLogin += buf.length;
      if (beforeLogin > limits.loginBytes) return shut('login', beforeLogin);
    }
    const result = parse(buf);
    const announced = parser.packet?.length ?? -1;
    if (announced > (c.connected ? largest : limits.loginBytes)) return shut('packet', announced);
    return result;
  };
  function shut(why: 'login' | 'packet', bytes: number): undefined {
    parser.parse = () => undefined;
    c.conn.destroy();
    refused(why, bytes);
    return undefined;
  }
}

/** The limit for a publish on this topic. */
export function publishLimit(limits: PacketLimits, topic: string): number {
  const t = parseTopic(topic);
  return t.ok && t.value.kind === 'image' ? limits.imageBytes : limits.messageBytes;
}

/**
 * A publish over its kind's limit is acknowledged and dropped: refusing it would close the
 * connection, and the box would send it again at every reconnect, holding up its whole queue.
 * It is moved to a `$SYS` topic, which no subscription of a box or an operator matches
 * (MQTT-4.7.2-1) and the persistence does not queue.
 */
export function dropIfOversize(
  client: Client,
  packet: PublishPacket,
  limits: PacketLimits,
): { topic: string; bytes: number; limit: number } | undefined {
  const bytes = packet.payload?.length ?? 0;
  // Every publish passes here: its topic is parsed only when it could be over its kind's limit.
  if (bytes <= Math.min(limits.messageBytes, limits.imageBytes)) return undefined;
  const limit = publishLimit(limits, packet.topic);
  if (bytes <= limit) return undefined;
  const topic = packet.topic;
  packet.topic = `$SYS/roadwarden/oversize/${client.id}`;
  packet.payload = Buffer.alloc(0);
  packet.retain = false;
  return { topic, bytes, limit };
}
