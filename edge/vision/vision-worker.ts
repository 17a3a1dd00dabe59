import { parentPort, workerData } from 'node:worker_threads';
import { VisionPipeline, type PipelineOptions } from './pipeline.ts';

/** Runs the pipeline off the agent's event loop: one frame in, one result (or error) out. */
const port = parentPort!;
try {
  const pipeline = await VisionPipeline.load(workerData as PipelineOptions);
  let running: Promise<void> = Promise.resolve();
  port.on('message', (m: { id: number; frame: Uint8Array } | { stop: true }) => {
    // Asked to stop: let the frame in flight finish, then let the thread end by itself. A thread
    // terminated while the ONNX runtime finishes a run aborts the whole process (Napi::Error).
    if ('stop' in m) return void running.then(() => port.close());
    running = (async () => {
      try {
        port.postMessage({
          id: m.id,
          result: await pipeline.run(Buffer.from(m.frame.buffer, m.frame.byteOffset, m.frame.byteLength)),
        });
      } catch (e) {
        port.postMessage({ id: m.id, error: (e as Error).message });
      }
    })();
  });
  port.postMessage({ ready: true });
} catch (e) {
  // Models that did not load: say why and end the thread by itself (terminate() would abort).
  port.postMessage({ fatal: (e as Error).message });
  port.close();
}
