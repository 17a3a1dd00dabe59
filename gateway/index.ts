/**
 * The county centre: broker, device registry, alarm intake and the three responses.
 * Built by the gateway issue; nothing is exported yet.
 */
export {};
