// The archive module's user-facing errors.
import { TugError } from '../util/errors.js';

export function invalidArchive(message: string, cause?: unknown): TugError {
  return new TugError('INVALID_ARCHIVE', message, {
    hint: 'the layer or tar file is corrupt, truncated or unsafe; re-create or re-download it',
    cause,
  });
}
