export * from './free-port';
export * from './wait-for';
export * from './process';
export * from './etcd';
export * from './nats';
export * from './invalid-manifests';
export * from './apiserver';
export * from './docker';
