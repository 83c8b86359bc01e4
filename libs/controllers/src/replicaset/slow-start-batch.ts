export * from '../slow-start-batch';
