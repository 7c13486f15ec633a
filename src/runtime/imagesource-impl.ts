// Binds ImageSource to src/image and src/snapshot.
import { TugError } from '../util/errors.js';
import type { ImageSource } from './imagesource.js';

export async function openImageSource(_root: string): Promise<ImageSource> {
  const missing = (): never => {
    throw new TugError('UNSUPPORTED', 'running images is not supported yet (the image service is not built in)', { hint: 'use --rootfs DIR to run a rootfs directory' });
  };
  return {
    resolve: missing, prepare: missing, mount: missing, unmount: missing, remove: missing, changes: missing, diff: missing, commit: missing,
  };
}
