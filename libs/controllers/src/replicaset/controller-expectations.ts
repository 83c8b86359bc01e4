export * from '../controller-expectations';
