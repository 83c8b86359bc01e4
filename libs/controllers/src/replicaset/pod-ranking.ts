export * from '../pods/pod-ranking';
