import { Type, type Static } from '@sinclair/typebox';
import { ALARM_KINDS, DEVICE_ID_PATTERN } from '../../protocols/index.ts';

const Port = Type.String({ minLength: 1, description: 'serial device, e.g. /dev/ttyUSB0' });
const Baud = Type.Optional(
  Type.Union([1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].map((b) => Type.Literal(b))),
);
const Channels = Type.Array(Type.Integer({ minimum: 1, maximum: 64 }), { minItems: 1, uniqueItems: true });
const HhMm = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'time of day, HH:MM' });

export const LightConfig = Type.Union([
  Type.Object(
    {
      type: Type.Literal('modbus'),
      port: Port,
      baudRate: Baud,
      unit: Type.Optional(Type.Integer({ minimum: 1, maximum: 247 })),
      channels: Type.Optional(Type.Integer({ minimum: 1, maximum: 64 })),
      coilBase: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('firmata'),
      port: Port,
      baudRate: Baud,
      pins: Type.Array(Type.Integer({ minimum: 0, maximum: 127 }), { minItems: 1 }),
    },
    { additionalProperties: false },
  ),
]);

export const SpeakerConfig = Type.Object(
  {
    type: Type.Literal('mp3'),
    port: Port,
    baudRate: Baud,
    volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })),
  },
  { additionalProperties: false },
);

export const SensorConfig = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$', description: 'used by rules: trigger: { sensor: NAME }' }),
    type: Type.Literal('firmata'),
    port: Port,
    baudRate: Baud,
    pin: Type.Integer({ minimum: 0, maximum: 127 }),
    activeLow: Type.Optional(Type.Boolean()),
    pullup: Type.Optional(Type.Boolean()),
    debounceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { additionalProperties: false },
);

export const CameraConfig = Type.Union([
  Type.Object(
    {
      type: Type.Literal('http'),
      url: Type.String({ pattern: '^https?://' }),
      username: Type.Optional(Type.String()),
      password: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('dir'), dir: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
]);

export const LightAction = Type.Object(
  {
    mode: Type.Union([Type.Literal('flash'), Type.Literal('on'), Type.Literal('off')]),
    channels: Type.Optional(Channels),
    periodMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 10_000 })),
    duty: Type.Optional(Type.Number({ minimum: 0.05, maximum: 0.95 })),
    durationS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

export const VoiceAction = Type.Object(
  {
    clip: Type.Integer({ minimum: 1, maximum: 2999 }),
    times: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
    volume: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 })),
    text: Type.Optional(Type.String({ description: 'what the clip says, for people reading the config' })),
  },
  { additionalProperties: false },
);

export const Trigger = Type.Union([
  Type.Object({ sensor: Type.String() }, { additionalProperties: false }),
  Type.Object({ event: Type.Union(ALARM_KINDS.map((k) => Type.Literal(k))) }, { additionalProperties: false }),
]);

export const RuleConfig = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    trigger: Trigger,
    light: Type.Optional(LightAction),
    voice: Type.Optional(VoiceAction),
    /** After firing, the rule stays quiet this long so one vehicle does not loop the speaker. */
    cooldownS: Type.Optional(Type.Number({ minimum: 0, maximum: 86_400 })),
    /** Report an event to the gateway when the rule fires. */
    report: Type.Optional(
      Type.Object(
        {
          kind: Type.Union(ALARM_KINDS.map((k) => Type.Literal(k))),
          severity: Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('alarm')]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const ScheduleConfig = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9_]*$' }),
    /** Cron expression for the window's start (5 fields, local time), e.g. "30 6 * * *". */
    cron: Type.String({ minLength: 9 }),
    durationMin: Type.Number({ minimum: 1, maximum: 24 * 60 }),
    light: Type.Optional(LightAction),
    /** Play this clip at the start of the window and then every `everyMin` minutes within it. */
    broadcast: Type.Optional(
      Type.Object(
        {
          clip: Type.Integer({ minimum: 1, maximum: 2999 }),
          everyMin: Type.Optional(Type.Number({ minimum: 1 })),
          times: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const VisionConfig = Type.Object(
  {
    /** models.yaml: the vehicle and person detector (task: objects), e.g. a county-trained YOLOv8; default: the built-in COCO CenterNet. */
    models: Type.Optional(Type.String({ minLength: 1 })),
    /** Grab a frame this often; frames are dropped, not queued, while inference is busy. */
    everyMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000, description: 'default 1000' })),
    /** People allowed per vehicle class, driver included (default tricycle 1, minivan 7). */
    maxRiders: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 0, maximum: 60 }))),
    /** Detector classes to treat as tricycles (the built-in COCO model has none; e.g. [motorcycle]). */
    tricycleClasses: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    /** Where this camera sees tricycles' cargo beds: [[x, y], …] in frame pixels. */
    cargoRegion: Type.Optional(Type.Array(Type.Tuple([Type.Number(), Type.Number()]), { minItems: 3 })),
    /** One vehicle passing gives one event: the same vehicle (plate, or place in the frame) within this many seconds is not reported again. */
    debounceS: Type.Optional(Type.Number({ minimum: 0, maximum: 3600, description: 'default 20' })),
    /** The warning goes out on a vehicle's first frame; its report waits this long for the plate read in the frames after it, voted over them (0: report the first frame's). */
    voteMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000, description: 'default 2500' })),
  },
  { additionalProperties: false },
);

export const EdgeConfig = Type.Object(
  {
    device: Type.Object(
      {
        id: Type.String({ pattern: DEVICE_ID_PATTERN, description: 'letters, digits, _ . - (at most 64)' }),
        name: Type.Optional(Type.String()),
        location: Type.Optional(
          Type.Object(
            { lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }) },
            { additionalProperties: false },
          ),
        ),
        timezone: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    gateway: Type.Object(
      {
        url: Type.String({
          pattern: '^(mqtts?|wss?|tcp|ssl)://',
          description: 'mqtt://host:1883 or mqtts://host:8883',
        }),
        username: Type.Optional(Type.String()),
        /** Write ${ENV_NAME} to take it from the environment; never commit a password. */
        password: Type.Optional(Type.String()),
        caFile: Type.Optional(Type.String()),
        protocolVersion: Type.Optional(
          Type.Union([Type.Literal(4), Type.Literal(5)], {
            description:
              '4 = MQTT 3.1.1, what the gateway’s embedded broker speaks; 5 only with an external MQTT 5 broker (Mosquitto)',
          }),
        ),
        keepaliveS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
        /** The gateway's HTTP API, e.g. http://gateway:8080: the self-test checks the box's clock against it. */
        apiUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
      },
      { additionalProperties: false },
    ),
    hardware: Type.Object(
      {
        light: Type.Optional(LightConfig),
        speaker: Type.Optional(SpeakerConfig),
        sensors: Type.Optional(Type.Array(SensorConfig)),
        camera: Type.Optional(CameraConfig),
      },
      { additionalProperties: false },
    ),
    /** On-device recognition (一抓拍三识别) on the camera's frames. */
    vision: Type.Optional(VisionConfig),
    rules: Type.Optional(Type.Array(RuleConfig)),
    schedules: Type.Optional(Type.Array(ScheduleConfig)),
    quietHours: Type.Optional(
      Type.Object(
        { from: HhMm, to: HhMm },
        { additionalProperties: false, description: 'no voice in this window; lights still flash' },
      ),
    ),
    telemetry: Type.Optional(
      Type.Object({ intervalS: Type.Integer({ minimum: 5, maximum: 3600 }) }, { additionalProperties: false }),
    ),
    dataDir: Type.Optional(Type.String()),
    /** Remote updates of the agent (edge/ota): refused unless the box holds the county's update key. */
    ota: Type.Optional(
      Type.Object(
        {
          publicKey: Type.String({
            minLength: 1,
            description: 'PEM file with the Ed25519 public key updates are signed with (roadwarden ota keygen)',
          }),
          /** how long a new version has to come up healthy (drivers, link) before the box rolls back */
          trialS: Type.Optional(Type.Integer({ minimum: 5, maximum: 900 })),
        },
        { additionalProperties: false },
      ),
    ),
    outbox: Type.Optional(
      Type.Object(
        {
          maxMb: Type.Optional(Type.Number({ minimum: 1 })),
          /** Encrypts outbox.db (reports and evidence images waiting for the network). */
          key: Type.Optional(
            Type.String({
              pattern: '^[A-Za-z0-9+/]{43}=$',
              description: `32 bytes in base64, written \${RW_STORAGE_KEY} with the key in the .env file`,
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type EdgeConfig = Static<typeof EdgeConfig>;
export type RuleConfig = Static<typeof RuleConfig>;
export type VisionConfig = Static<typeof VisionConfig>;
export type ScheduleConfig = Static<typeof ScheduleConfig>;
export type LightAction = Static<typeof LightAction>;
export type VoiceAction = Static<typeof VoiceAction>;

/** Where the box keeps its data (outbox, voice clips, the control socket) when `dataDir` is not set. */
export const edgeDataDir = (c: EdgeConfig): string => c.dataDir ?? './data/edge';
