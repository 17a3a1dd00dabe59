import type * as ort from 'onnxruntime-node';
import { alignFace } from './face-align.ts';
import type { Face } from './face-detector.ts';
import { defaultFaceEmbeddingModel } from './models/default-models.ts';
import type { ModelEntry } from './models/manifest.ts';
import { loadModelSession, toTensor, type ModelInfo } from './models/model-session.ts';

/**
 * Face descriptors for matching a driver across captures: the face is aligned by its eyes, nose
 * and mouth (BlazeFace's keypoints) onto the recogniser's template, then described by the model.
 * Compare two with faceSimilarity (protocols).
 */
export class FaceEmbedder {
  private constructor(
    readonly model: ModelEntry,
    readonly info: ModelInfo,
    private readonly session: ort.InferenceSession,
  ) {}

  static async load(model: ModelEntry = defaultFaceEmbeddingModel()): Promise<FaceEmbedder> {
    if (model.decoder !== 'embedding')
      throw new Error(`model ${model.name}: the ${model.decoder} decoder does not make face embeddings (embedding)`);
    if (model.input.width !== model.input.height)
      throw new Error(
        `model ${model.name}: a face embedding model takes a square input, not ${model.input.width}×${model.input.height}`,
      );
    const { session, info } = await loadModelSession(model);
    return new FaceEmbedder(model, info, session);
  }

  async embed(image: Buffer, face: Pick<Face, 'box' | 'keypoints'>): Promise<Float32Array> {
    const size = this.model.input.width;
    const rgb = await alignFace(image, face.keypoints, face.box, size, this.model.faceZoom ?? 1);
    const out = await this.session.run({ [this.session.inputNames[0]]: toTensor(rgb, size, size, this.model.input) });
    return Float32Array.from(out[this.session.outputNames[0]].data as Float32Array);
  }
}
