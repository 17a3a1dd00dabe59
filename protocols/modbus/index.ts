export * from './crc.ts';
export * from './pdu.ts';
export * from './frame-splitter.ts';
export * from './framer.ts';
