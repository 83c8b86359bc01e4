export * from './cluster-dns-resolver';
export * from './dns-message';
export * from './dns-server';
export * from './dns-forwarder';
