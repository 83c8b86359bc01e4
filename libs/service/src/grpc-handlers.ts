/**
 * Handlers in the nice-grpc style, adapted to @grpc/grpc-js: a unary method is
 * `async (request, signal, context) => response`, a server-streaming method is
 * `async function* (request, signal, context)`. The signal aborts when the client cancels or the
 * server shuts down; a thrown error becomes a gRPC status through grpcStatusOf (the only mapping).
 */
import { once } from 'node:events';
import type {
  Metadata,
  MethodDefinition,
  sendUnaryData,
  ServerUnaryCall,
  ServerWritableStream,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { grpcStatusOf } from './grpc-status';

/** What a handler may know about its call besides the request. */
export interface CallContext {
  /** "/skiff.api.v1.Api/Create" */
  path: string;
  peer: string;
  metadata: Metadata;
}

export type UnaryHandler<Req, Res> = (request: Req, signal: AbortSignal, context: CallContext) => Promise<Res>;
export type ServerStreamHandler<Req, Res> = (request: Req, signal: AbortSignal, context: CallContext) => AsyncIterable<Res>;

type HandlerFor<M> =
  M extends MethodDefinition<infer Req, infer Res>
    ? M extends { requestStream: false; responseStream: true }
      ? ServerStreamHandler<Req, Res>
      : M extends { requestStream: false; responseStream: false }
        ? UnaryHandler<Req, Res>
        : never // client and bidi streams: not supported by the kit (no Skiff API uses them)
    : never;

/** The handler object for a generated grpc-js service definition (ts-proto `outputServices=grpc-js`). */
export type ServiceHandlers<S extends ServiceDefinition> = { [K in keyof S]: HandlerFor<S[K]> };

/** A service definition with its handlers, ready for startGrpcServer. */
export interface ServiceBinding {
  /** Fully qualified service name for the health service: "skiff.api.v1.Api". */
  name: string;
  definition: ServiceDefinition;
  handlers: Record<string, UnaryHandler<unknown, unknown> | ServerStreamHandler<unknown, unknown>>;
}

/** Pairs a generated service definition with typed handlers. */
export function bindService<S extends ServiceDefinition>(name: string, definition: S, handlers: ServiceHandlers<S>): ServiceBinding {
  return { name, definition, handlers: handlers as unknown as ServiceBinding['handlers'] };
}

/**
 * The signal of one call: aborts when the client cancels or the server shuts down. `done()`
 * detaches it from the shutdown signal (cheaper than AbortSignal.any on every call).
 */
function callSignal(call: { on(event: 'cancelled', cb: () => void): unknown }, shutdown: AbortSignal): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  let finished = false;
  if (shutdown.aborted) ac.abort(shutdown.reason);
  const onShutdown = () => ac.abort(shutdown.reason);
  shutdown.addEventListener('abort', onShutdown, { once: true });
  // grpc-js also reports 'cancelled' when a finished call's stream closes: only a live call aborts.
  call.on('cancelled', () => {
    if (!finished) ac.abort(new DOMException('call cancelled by the client', 'AbortError'));
  });
  return {
    signal: ac.signal,
    done: () => {
      finished = true;
      shutdown.removeEventListener('abort', onShutdown);
    },
  };
}

function reportFailure(logger: Logger, path: string, err: unknown): { code: number; details: string } {
  const status = grpcStatusOf(err);
  if (status.unexpected) logger.error({ err, method: path }, 'request failed unexpectedly');
  return { code: status.code, details: status.details };
}

/**
 * Adapts a binding's handlers to grpc-js's callback API. `shutdown` aborts every in-flight call
 * (streams end with UNAVAILABLE so that clients reconnect elsewhere).
 */
export function adaptService(binding: ServiceBinding, shutdown: AbortSignal, logger: Logger): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const [key, method] of Object.entries(binding.definition)) {
    const handler = binding.handlers[key];
    if (!handler) throw new Error(`no handler for ${method.path}`);
    if (method.requestStream) throw new Error(`${method.path}: client streaming is not supported`);
    if (!method.responseStream) {
      const unary = handler as UnaryHandler<unknown, unknown>;
      implementation[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const { signal, done } = callSignal(call, shutdown);
        const context: CallContext = { path: method.path, peer: call.getPeer(), metadata: call.metadata };
        Promise.resolve()
          .then(() => unary(call.request, signal, context))
          .then(
            (response) => callback(null, response),
            (err: unknown) => callback(reportFailure(logger, method.path, err)),
          )
          .finally(done);
      };
    } else {
      const stream = handler as ServerStreamHandler<unknown, unknown>;
      implementation[key] = (call: ServerWritableStream<unknown, unknown>) => {
        const { signal, done } = callSignal(call, shutdown);
        const context: CallContext = { path: method.path, peer: call.getPeer(), metadata: call.metadata };
        void (async () => {
          try {
            for await (const message of stream(call.request, signal, context)) {
              if (signal.aborted) break;
              if (!call.write(message)) await once(call, 'drain', { signal }).catch(() => undefined);
            }
            if (shutdown.aborted) call.emit('error', { code: 14, details: 'server is shutting down' });
            else call.end();
          } catch (err) {
            if (shutdown.aborted) call.emit('error', { code: 14, details: 'server is shutting down' });
            else if (!call.cancelled) call.emit('error', reportFailure(logger, method.path, err));
          } finally {
            done();
          }
        })();
      };
    }
  }
  return implementation;
}
