export * from './subjects';
export * from './connection';
export * from './watch-stream';
export * from './watch-publisher';
export * from './watch-subscription';
export * from './delivery-info';
