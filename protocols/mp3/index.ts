export * from './codec.ts';
export * from './framer.ts';
