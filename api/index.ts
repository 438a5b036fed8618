// The shared package. Every component reaches the cluster through this surface.

// What objects are: types, the resource table, schemas.
export * from './types.js';
export * from './resources.js';
export * from './schema.js';
// What the API server does to them: defaulting and validation.
export * from './defaults.js';
export * from './validation.js';
// Shared vocabulary: selectors, quantities, pod facts.
export * from './labels.js';
export * from './quantity.js';
export * from './pod-helpers.js';
// Talking to the cluster: kubeconfig, client, exec, events.
export * from './kubeconfig.js';
export * from './client.js';
export * from './exec.js';
export * from './events.js';
// Building controllers: informers, work queue, leader election.
export * from './informer.js';
export * from './informer-factory.js';
export * from './workqueue.js';
export * from './leader-election.js';
