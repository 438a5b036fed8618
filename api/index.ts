// The shared package: object types, the resource table, schemas, defaulting, validation,
// label selectors and quantities; the typed client, the informer and the workqueue.
// Every component reaches the cluster through this surface.

export * from './types.js';
export * from './resources.js';
export * from './schema.js';
export * from './defaults.js';
export * from './validation.js';
export * from './labels.js';
export * from './quantity.js';
export * from './kubeconfig.js';
export * from './client.js';
export * from './workqueue.js';
export * from './informer.js';
export * from './events.js';
export * from './informer-factory.js';
export * from './leader-election.js';
export * from './pod-helpers.js';
export * from './exec.js';
