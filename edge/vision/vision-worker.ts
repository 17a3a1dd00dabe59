import { parentPort, workerData } from 'node:worker_threads';
import { VisionPipeline, type PipelineOptions } from './pipeline.ts';

/** Runs the pipeline off the agent's event loop: one frame in, one result (or error) out. */
const port = parentPort!;
try {
  const pipeline = await VisionPipeline.load(workerData as PipelineOptions);
  port.on('message', async (m: { id: number; frame: Uint8Array }) => {
    try {
      port.postMessage({
        id: m.id,
        result: await pipeline.run(Buffer.from(m.frame.buffer, m.frame.byteOffset, m.frame.byteLength)),
      });
    } catch (e) {
      port.postMessage({ id: m.id, error: (e as Error).message });
    }
  });
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ fatal: (e as Error).message });
}
