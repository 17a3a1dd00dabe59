import { Type, type Static } from '@sinclair/typebox';
import { ResponsesConfig } from '../responses/response-plan.ts';
import { OtaConfig } from '../ota/ota-config.ts';
import { TicketsConfig } from '../tickets/fault-watcher.ts';

export const GatewayConfig = Type.Object(
  {
    /** Database, broker persistence and evidence live here. */
    dataDir: Type.Optional(Type.String({ minLength: 1 })),
    /**
     * Where the gateway's records live: SQLite in the data dir (default), or a PostgreSQL database
     * that several gateway workers share.
     */
    storage: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(
            Type.String({
              pattern: '^postgres(ql)?://(?![^/@]*:[^/@]*@)',
              description: 'postgres://user@host:port/database (no password here: use storage.password)',
            }),
          ),
          password: Type.Optional(
            Type.String({ description: 'e.g. ${RW_PG_PASSWORD}; else PGPASSWORD or ~/.pgpass is used' }),
          ),
          poolSize: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 200, description: 'connections per gateway process (default 10)' }),
          ),
          schema: Type.Optional(
            Type.String({
              pattern: '^[a-z_][a-z0-9_]*$',
              description: 'PostgreSQL schema for the tables (default public)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    broker: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          /** Port of the embedded aedes broker (MQTT 3.1.1). */
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          tls: Type.Optional(
            Type.Object(
              { port: Type.Integer({ minimum: 0, maximum: 65535 }), certFile: Type.String(), keyFile: Type.String() },
              { additionalProperties: false },
            ),
          ),
          /**
           * After a restart, how long a box that was connected has to come back before its last will
           * ("offline") is published. Default 60; aedes alone waits four minutes.
           */
          willGraceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
          /** Bytes a connection may send (embedded broker): over them it is closed, or the publish dropped. */
          limits: Type.Optional(
            Type.Object(
              {
                loginBytes: Type.Optional(
                  Type.Integer({ minimum: 1024, maximum: 1048576, description: 'before log-in (default 16384)' }),
                ),
                messageBytes: Type.Optional(
                  Type.Integer({ minimum: 1024, maximum: 262144, description: 'a report (default 262144)' }),
                ),
                imageBytes: Type.Optional(
                  Type.Integer({
                    minimum: 65536,
                    maximum: 67108864,
                    description: 'an evidence image (default 4194304)',
                  }),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          /**
           * embedded (aedes in the gateway, the default), external (`url`: Mosquitto, EMQX) or
           * rabbitmq (a RabbitMQ cluster: boxes on its MQTT adapter, the gateway on its queues).
           */
          type: Type.Optional(
            Type.Union([Type.Literal('embedded'), Type.Literal('external'), Type.Literal('rabbitmq')], {
              description: 'embedded, external or rabbitmq',
            }),
          ),
          rabbitmq: Type.Optional(
            Type.Object(
              {
                nodes: Type.Array(
                  Type.String({
                    pattern: '^[^\\s:/@]+:[0-9]{1,5}$',
                    description: 'host:port of a node’s AMQP listener',
                  }),
                  { minItems: 1, maxItems: 16 },
                ),
                vhost: Type.Optional(Type.String({ minLength: 1, description: 'default /' })),
                tls: Type.Optional(Type.Boolean({ description: 'AMQP over TLS (amqps)' })),
                partitions: Type.Optional(
                  Type.Integer({
                    minimum: 1,
                    maximum: 64,
                    description: 'report queues (default 4); the same on every worker, changed only with all stopped',
                  }),
                ),
                prefetch: Type.Optional(
                  Type.Integer({ minimum: 1, maximum: 1000, description: 'reports in hand per queue (default 64)' }),
                ),
                /** Where RabbitMQ's HTTP auth backend asks the gateway (its auth_http.*_path). */
                auth: Type.Optional(
                  Type.Object(
                    {
                      host: Type.Optional(Type.String({ description: 'default 127.0.0.1' })),
                      port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'default 8089' })),
                      serve: Type.Optional(
                        Type.Boolean({
                          description:
                            'answer RabbitMQ in this process (default true); false where `gateway rabbitmq-auth` does',
                        }),
                      ),
                    },
                    { additionalProperties: false },
                  ),
                ),
              },
              { additionalProperties: false },
            ),
          ),
          /** Use this external broker (Mosquitto, EMQX) instead of the embedded one. */
          url: Type.Optional(Type.String({ pattern: '^(mqtts?|tcp|ssl)://' })),
          /** The gateway's own account on the external broker (role: reads all reports, sends commands). */
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          /** MQTT client id of the gateway on the external broker; unique per gateway instance. */
          clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        },
        { additionalProperties: false },
      ),
    ),
    http: Type.Optional(
      Type.Object(
        {
          host: Type.Optional(Type.String()),
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          dashboard: Type.Optional(Type.Boolean({ description: 'serve the web dashboard at / (default true)' })),
          /** Where people reach the dashboard through a reverse proxy: changes from other origins are refused. */
          origins: Type.Optional(
            Type.Array(Type.String({ pattern: '^https?://[^/]+$', description: 'e.g. https://rw.county.example' }), {
              maxItems: 16,
            }),
          ),
          /** HTTPS for the dashboard and API: passwords and personal data should not cross the county network in clear. */
          tls: Type.Optional(
            Type.Object(
              { certFile: Type.String({ minLength: 1 }), keyFile: Type.String({ minLength: 1 }) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Reports: weeks begin on Monday at local midnight; China Standard Time (UTC+8, no summer time) by default. */
    reports: Type.Optional(
      Type.Object(
        { utcOffsetHours: Type.Number({ minimum: -12, maximum: 14, description: 'hours east of UTC (default 8)' }) },
        { additionalProperties: false },
      ),
    ),
    /** The dashboard's offline map: township and village outlines (GeoJSON polygons with properties.name). */
    map: Type.Optional(
      Type.Object(
        { geojson: Type.String({ minLength: 1, description: 'GeoJSON file of the county' }) },
        { additionalProperties: false },
      ),
    ),
    /** Evidence images: encrypted at rest, deleted after the retention period unless an open case needs them. */
    evidence: Type.Optional(
      Type.Object(
        {
          retentionDays: Type.Optional(
            Type.Number({ minimum: 1, maximum: 3650, description: 'days to keep images (default 90)' }),
          ),
          keyFile: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'AES key file (default <dataDir>/evidence.key, made at first start)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Refused messages (dead letters): kept for a technician to look at, then pruned. */
    deadLetters: Type.Optional(
      Type.Object(
        {
          keepDays: Type.Optional(
            Type.Number({ minimum: 1, maximum: 365, description: 'days to keep refused messages (default 14)' }),
          ),
          keepMax: Type.Optional(
            Type.Integer({
              minimum: 100,
              maximum: 10_000_000,
              description: 'at most this many, newest kept (default 100000)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** 一报警三响应: channels and the plans that map alarm kinds to the three responses. */
    responses: Type.Optional(ResponsesConfig),
    /** Fault tickets (故障工单) from telemetry and silence; on with defaults when absent. */
    tickets: Type.Optional(TicketsConfig),
    /** Agent updates for the boxes (OTA): the key they are signed with, stages, pace. */
    ota: Type.Optional(OtaConfig),
  },
  { additionalProperties: false },
);
export type GatewayConfig = Static<typeof GatewayConfig>;

export { GATEWAY_DEFAULTS } from './defaults.ts';
