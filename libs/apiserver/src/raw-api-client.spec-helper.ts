/**
 * Test helper: the generated grpc-js ApiClient with promise methods, so that specs can assert
 * the exact gRPC status codes the apiserver sends (no client-side error mapping in between).
 */
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  ApiClient,
  type ApiObject,
  type BindRequest,
  type DeleteRequest,
  type ListRequest,
  type ListResponse,
  type WatchEvent,
  type WatchRequest,
} from '@skiff/api';

export interface RawApi {
  create(object: ApiObject, dryRun?: boolean): Promise<ApiObject>;
  get(resource: string, namespace: string, name: string): Promise<ApiObject>;
  list(request: Partial<ListRequest> & { resource: string }): Promise<ListResponse>;
  update(object: ApiObject): Promise<ApiObject>;
  updateStatus(object: ApiObject): Promise<ApiObject>;
  delete(request: Partial<DeleteRequest> & { resource: string; name: string }): Promise<ApiObject>;
  bind(request: Partial<BindRequest> & { name: string; nodeName: string }): Promise<ApiObject>;
  /** Collects watch events until `until` returns true for the list so far (or the stream fails). */
  watch(request: Partial<WatchRequest> & { resource: string }, until: (events: WatchEvent[]) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  raw: InstanceType<typeof ApiClient>;
  close(): void;
}

export function rawApi(address: string): RawApi {
  const client = new ApiClient(address, credentials.createInsecure());
  const call = <T>(fn: (cb: (err: ServiceError | null, res: T) => void) => unknown) =>
    new Promise<T>((resolve, reject) => fn((err, res) => (err ? reject(err) : resolve(res))));
  return {
    raw: client,
    create: (object, dryRun = false) => call((cb) => client.create({ object, dryRun }, cb)),
    get: (resource, namespace, name) => call((cb) => client.get({ resource, namespace, name }, cb)),
    list: (req) => call((cb) => client.list({ namespace: '', labelSelector: '', fieldSelector: '', ...req }, cb)),
    update: (object) => call((cb) => client.update({ object, dryRun: false }, cb)),
    updateStatus: (object) => call((cb) => client.updateStatus({ object, dryRun: false }, cb)),
    delete: (req) => call((cb) => client.delete({ namespace: '', propagationPolicy: '', dryRun: false, ...req }, cb)),
    bind: (req) => call((cb) => client.bind({ namespace: 'default', uid: '', resourceVersion: '', ...req }, cb)),
    watch: (req, until, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const events: WatchEvent[] = [];
        const stream = client.watch({ namespace: '', labelSelector: '', fieldSelector: '', resourceVersion: '', ...req });
        const timer = setTimeout(() => {
          stream.cancel();
          reject(new Error(`watch timed out with ${events.length} events: ${events.map((e) => `${e.type} ${e.name}@${e.revision}`).join(', ')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          stream.cancel();
        };
        if (until(events)) {
          done();
          resolve(events);
          return;
        }
        stream.on('data', (event: WatchEvent) => {
          events.push(event);
          if (until(events)) {
            done();
            resolve(events);
          }
        });
        stream.on('error', (err: ServiceError) => {
          clearTimeout(timer);
          if (err.code !== 1) reject(err);
        });
      }),
    close: () => client.close(),
  };
}
