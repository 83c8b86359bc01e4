export * from './gen';
export * from './kinds';
export * from './errors';
