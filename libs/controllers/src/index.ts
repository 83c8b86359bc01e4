export * from './controller-context';
export * from './controller-manager';
export * from './controller-registry';
export * from './owner-refs';
