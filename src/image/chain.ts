// chainID (OCI image-spec, layer.md): the identity of a stack of layers.
import { sha256 } from '../oci/digest.js';
import type { Digest } from '../oci/types.js';

/** chainIDs[i] names layers 0..i: chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export function chainIDs(diffIDs: Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIDs) out.push(out.length ? sha256(`${out[out.length - 1]} ${d}`) : d);
  return out;
}
