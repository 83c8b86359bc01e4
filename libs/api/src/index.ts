export * from './gen';
export * from './kinds';
export * from './errors';
export * from './quantity';
export * from './selectors';
export * from './validation';
export * from './defaults';
export * from './manifest';
