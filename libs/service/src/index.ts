export * from './logger';
export * from './grpc-status';
export * from './grpc-handlers';
export * from './grpc-server';
export * from './proto-package';
export * from './metrics-server';
export * from './run-until-signal';
export * from './config';
