export * from './controller';
export * from './controller-metrics';
export * from './shared-informers';
export * from './component';
