export * from './certificates';
export * from './certificate-files';
