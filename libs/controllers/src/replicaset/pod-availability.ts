export * from '../pods/pod-availability';
