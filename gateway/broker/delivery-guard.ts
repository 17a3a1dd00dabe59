import { topicMatches } from '../../protocols/index.ts';

type Deliver = (packet: DeliveredPacket, cb: () => void) => void;
interface DeliveredPacket {
  topic: string;
  qos: 0 | 1 | 2;
  brokerId?: string | null;
  brokerCounter?: number;
}
/** The parts of an aedes client this guard reads and replaces (aedes does not type them). */
interface GuardedClient {
  subscriptions: Record<string, { qos: number }>;
  deliver0: Deliver;
  deliverQoS: Deliver;
}

/** Messages remembered per client to drop the extra copies of; copies arrive back to back. */
const RECENT = 32;

/**
 * aedes hands a client one copy of a message per matching subscription, and keeps the publisher's
 * QoS on a wildcard filter (it looks the subscription up by the message's topic, which only finds
 * exact filters). MQTT 3.1.1 §3.3.5 asks for the highest QoS of the matching subscriptions, and a
 * single copy is what a box or a dashboard expects. Both delivery paths of the client go through
 * this guard: the first copy goes out at min(published QoS, highest matching QoS), the others are
 * dropped. Installed before the session's subscriptions are restored, which read these functions.
 */
export function guardDeliveries(client: unknown): void {
  const c = client as GuardedClient;
  const deliver0 = c.deliver0;
  const deliverQoS = c.deliverQoS;
  const recent: string[] = [];
  const guarded: Deliver = (packet, cb) => {
    // Retained messages sent on SUBSCRIBE carry no broker id and are never copies.
    if (packet.brokerId) {
      const key = `${packet.brokerId}/${packet.brokerCounter}`;
      if (recent.includes(key)) return void setImmediate(cb);
      recent.push(key);
      if (recent.length > RECENT) recent.shift();
    }
    const qos = Math.min(packet.qos, highestQos(c.subscriptions, packet.topic, packet.qos)) as 0 | 1 | 2;
    // A copy: a replayed packet is the persistence's own queued object.
    (qos === 0 ? deliver0 : deliverQoS)(qos === packet.qos ? packet : { ...packet, qos }, cb);
  };
  c.deliver0 = guarded;
  c.deliverQoS = guarded;
}

/** The highest QoS among the client's filters matching a topic (`fallback` when none is known). */
function highestQos(subs: Record<string, { qos: number }>, topic: string, fallback: number): number {
  let best = -1;
  for (const filter in subs) if (topicMatches(filter, topic)) best = Math.max(best, subs[filter]!.qos);
  // A queued message replayed before its subscription came back (or after it went) keeps its QoS.
  return best < 0 ? fallback : best;
}
