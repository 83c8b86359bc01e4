export * from './proxy-table';
export * from './backend-picker';
export * from './proxy-metrics';
export * from './local-route';
export * from './tcp-balancer';
export * from './udp-balancer';
export * from './run-proxy';
export * from './dns';
