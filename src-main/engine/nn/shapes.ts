/**
 * Shape arithmetic of the networks, kept free of TensorFlow.js: the config checks
 * (engine/validate.ts) run in the service and the Electron main process, which never load tfjs.
 */
import type { ModelConfig } from '../../contract/config';

export interface ImageShape {
  height: number;
  width: number;
  channels: number;
}

/** Spatial size after conv4's blocks; 0 means the image shrank to nothing. */
export function conv4OutputSize(size: number, model: Pick<ModelConfig, 'blocks' | 'downsample'>): number {
  let s = size;
  for (let i = 0; i < model.blocks; i++)
    s = model.downsample === 'maxpool' ? Math.floor(s / 2) : Math.ceil(s / 2);
  return s;
}
