/** The reporting module's public surface, for the extension and the resolver. */
export * from './courier.js';
export * from './delivery.js';
export * from './key-value-storage.js';
export * from './keygen.js';
export * from './keys.js';
export * from './outbox.js';
export * from './reporter.js';
export * from './schema.js';
export * from './seal.js';
export * from './xarf.js';
