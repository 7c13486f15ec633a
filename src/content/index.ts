// The content store's public surface.
export { ContentStore, DEFAULT_READ_CAP, type BlobInfo, type ByteRange, type Committed, type ContentWriter, type Expected } from './store.js';
