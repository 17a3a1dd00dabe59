/**
 * The roadside box's agent: local rules, schedules, the MQTT link and the durable outbox.
 * Built by the edge-agent issue; nothing is exported yet.
 */
export {};
