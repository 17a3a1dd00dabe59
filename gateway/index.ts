/** The county centre: broker, device registry, alarm intake and the three responses. */
export * from './gateway.ts';
export * from './config/schema.ts';
export * from './broker/acl.ts';
export * from './broker/embedded-broker.ts';
export * from './registry/credentials.ts';
export * from './registry/password.ts';
export * from './store/database.ts';
export * from './intake/intake.ts';
export * from './intake/intake-store.ts';
export * from './responses/response-state.ts';
export * from './responses/case-store.ts';
export * from './responses/channels/channel.ts';
export * from './responses/channels/webhook-channel.ts';
export * from './responses/response-plan.ts';
export * from './responses/response-engine.ts';
export * from './api/api-tokens.ts';
export * from './api/http-api.ts';
