export * from './skiff-client';
