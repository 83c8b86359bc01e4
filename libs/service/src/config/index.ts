export * from './config-types';
export * from './config-schema';
export * from './config-loader';
export * from './config-help';
export * from './shared-keys';
export * from './run-component-main';
