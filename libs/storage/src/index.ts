export * from './storage';
export * from './etcd-storage';
