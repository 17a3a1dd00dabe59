// aedes-persistence-level ships no types: it takes a Level instance and returns an aedes persistence.
declare module 'aedes-persistence-level' {
  export default function persistence(db: unknown): unknown;
}
