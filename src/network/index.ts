// The network module's public surface (see docs/architecture.md).
export type * from './types.js';
export { attach, detach, validateJoins, type DetachOptions } from './attach.js';
export { connect, disconnect, portsOf, networkSettings, type ConnectOptions } from './connect.js';
export { createNetwork, listAll, getNetwork, removeNetwork, pruneNetworks, inspectNetwork, DEFAULT_NETWORK } from './networks.js';
export { parsePublish, publishAll, formatBinding } from './ports.js';
export { parseLink } from './links.js';
export { parseAddHost } from './etcfiles.js';
