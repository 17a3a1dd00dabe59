import { describe, expect, it } from 'vitest';
import { parseCameraSpec, parseLightSpec, parseSensorSpec, parseSpeakerSpec } from './device-spec.ts';

describe('device specs', () => {
  it('parses what a technician types', () => {
    expect(parseLightSpec('modbus:/dev/ttyUSB0?unit=3&channels=8&baud=19200')).toEqual({
      type: 'modbus',
      port: '/dev/ttyUSB0',
      unit: 3,
      channels: 8,
      baudRate: 19200,
      coilBase: undefined,
    });
    expect(parseLightSpec('firmata:/dev/ttyACM0?pins=12,13')).toEqual({
      type: 'firmata',
      port: '/dev/ttyACM0',
      pins: [12, 13],
      baudRate: undefined,
    });
    expect(parseSpeakerSpec('mp3:/dev/ttyUSB1')).toEqual({ type: 'mp3', port: '/dev/ttyUSB1', baudRate: undefined });
    expect(parseSensorSpec('firmata:/dev/ttyACM0?pin=2&active=low&pullup=1')).toMatchObject({
      pin: 2,
      activeLow: true,
      pullup: true,
    });
    expect(parseCameraSpec('http://admin:p%40ss@10.0.0.5/ISAPI/Streaming/channels/101/picture')).toEqual({
      type: 'http',
      url: 'http://10.0.0.5/ISAPI/Streaming/channels/101/picture',
      username: 'admin',
      password: 'p@ss',
    });
    expect(parseCameraSpec('dir:/srv/frames')).toEqual({ type: 'dir', dir: '/srv/frames', loop: true });
  });

  it('says what is wrong, in words a technician understands', () => {
    expect(() => parseLightSpec('/dev/ttyUSB0')).toThrow(/kind:path/);
    expect(() => parseLightSpec('relay:/dev/ttyUSB0')).toThrow(/modbus or firmata/);
    expect(() => parseLightSpec('modbus:/dev/ttyUSB0?unit=300')).toThrow(/unit=300 must be a whole number 1–247/);
    expect(() => parseLightSpec('modbus:/dev/ttyUSB0?baud=9601')).toThrow(/not a standard rate/);
    expect(() => parseLightSpec('firmata:/dev/ttyACM0')).toThrow(/pins=… is required/);
    expect(() => parseSensorSpec('firmata:/dev/ttyACM0')).toThrow(/pin=… is required/);
    expect(() => parseCameraSpec('rtsp://cam/stream')).toThrow(/snapshot URL/);
  });
});
