/**
 * The shape of every API message, read from the proto descriptors that ts-proto emitted
 * (`protoMetadata.fileDescriptor` of each generated file). Manifest conversion walks objects
 * against these schemas, so a field added to proto/ is understood without hand-written tables.
 * CONTRACT: `messageSchema` returns the schema of a fully qualified message name (with or without
 * the leading dot) and throws a plain Error for an unknown name; schemas are built once and cached.
 */
import { protoMetadata as apiMetadata } from './gen/skiff/api/v1/api';

/** How a field looks in the proto JSON form of a manifest. */
export type FieldShape =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int32'; min: number; max: number }
  | { kind: 'int64' }
  | { kind: 'double' }
  | { kind: 'bytes' }
  | { kind: 'enum' }
  /** skiff.meta.v1.IntOrString: a plain scalar in manifests. */
  | { kind: 'intOrString' }
  /** google.protobuf.Timestamp: an RFC 3339 string. */
  | { kind: 'timestamp' }
  | { kind: 'message'; typeName: string };

export interface FieldSchema {
  /** proto name: "container_port" */
  name: string;
  /** proto JSON name, the only key accepted in manifests: "containerPort" */
  jsonName: string;
  repeated: boolean;
  /** Set for map<string, V> fields: the shape of V (keys are always strings here). */
  mapValue?: FieldShape;
  shape: FieldShape;
}

export interface MessageSchema {
  /** Fully qualified, without the leading dot: "skiff.core.v1.Pod" */
  typeName: string;
  fields: readonly FieldSchema[];
  byJsonName: ReadonlyMap<string, FieldSchema>;
}

export const INT_OR_STRING_TYPE = 'skiff.meta.v1.IntOrString';
export const TIMESTAMP_TYPE = 'google.protobuf.Timestamp';

/** The subset of descriptor.proto this module reads (structural, so no extra dependency). */
interface FieldDescriptor {
  name: string;
  jsonName: string;
  type: number;
  label: number;
  typeName: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options?: { mapEntry?: boolean } | undefined;
}
interface FileMetadata {
  fileDescriptor: { package: string; messageType: MessageDescriptor[] };
  dependencies?: FileMetadata[];
}

// descriptor.proto FieldDescriptorProto.Type and Label values.
const TYPE = { DOUBLE: 1, FLOAT: 2, INT64: 3, UINT64: 4, INT32: 5, FIXED64: 6, FIXED32: 7, BOOL: 8, STRING: 9, MESSAGE: 11, BYTES: 12, UINT32: 13, ENUM: 14, SFIXED32: 15, SFIXED64: 16, SINT32: 17, SINT64: 18 } as const;
const LABEL_REPEATED = 3;

const descriptors = new Map<string, MessageDescriptor>();
const schemas = new Map<string, MessageSchema>();

function collect(file: FileMetadata, seen: Set<FileMetadata>): void {
  if (seen.has(file)) return;
  seen.add(file);
  const add = (prefix: string, message: MessageDescriptor): void => {
    const name = `${prefix}.${message.name}`;
    descriptors.set(name, message);
    for (const nested of message.nestedType ?? []) add(name, nested);
  };
  for (const message of file.fileDescriptor.messageType) add(file.fileDescriptor.package, message);
  for (const dep of file.dependencies ?? []) collect(dep, seen);
}
collect(apiMetadata as unknown as FileMetadata, new Set());

function scalarShape(field: FieldDescriptor): FieldShape {
  switch (field.type) {
    case TYPE.STRING:
      return { kind: 'string' };
    case TYPE.BOOL:
      return { kind: 'bool' };
    case TYPE.INT32:
    case TYPE.SINT32:
    case TYPE.SFIXED32:
      return { kind: 'int32', min: -(2 ** 31), max: 2 ** 31 - 1 };
    case TYPE.UINT32:
    case TYPE.FIXED32:
      return { kind: 'int32', min: 0, max: 2 ** 32 - 1 };
    case TYPE.INT64:
    case TYPE.UINT64:
    case TYPE.FIXED64:
    case TYPE.SFIXED64:
    case TYPE.SINT64:
      return { kind: 'int64' };
    case TYPE.DOUBLE:
    case TYPE.FLOAT:
      return { kind: 'double' };
    case TYPE.BYTES:
      return { kind: 'bytes' };
    case TYPE.ENUM:
      return { kind: 'enum' };
    case TYPE.MESSAGE: {
      const typeName = field.typeName.replace(/^\./, '');
      if (typeName === INT_OR_STRING_TYPE) return { kind: 'intOrString' };
      if (typeName === TIMESTAMP_TYPE) return { kind: 'timestamp' };
      return { kind: 'message', typeName };
    }
    default:
      throw new Error(`unsupported proto field type ${field.type} for ${field.name}`);
  }
}

/** The schema of a message by its fully qualified name ("skiff.core.v1.Pod" or ".skiff.core.v1.Pod"). */
export function messageSchema(typeName: string): MessageSchema {
  const name = typeName.replace(/^\./, '');
  const cached = schemas.get(name);
  if (cached) return cached;
  const message = descriptors.get(name);
  if (!message) throw new Error(`unknown message type ${name}`);
  const fields = message.field.map((field): FieldSchema => {
    const base = { name: field.name, jsonName: field.jsonName || field.name, repeated: field.label === LABEL_REPEATED };
    if (field.type === TYPE.MESSAGE) {
      const entry = descriptors.get(field.typeName.replace(/^\./, ''));
      if (entry?.options?.mapEntry) {
        const value = entry.field.find((f) => f.name === 'value');
        if (!value) throw new Error(`map entry ${field.typeName} has no value field`);
        return { ...base, repeated: false, mapValue: scalarShape(value), shape: scalarShape(value) };
      }
    }
    return { ...base, shape: scalarShape(field) };
  });
  const schema: MessageSchema = { typeName: name, fields, byJsonName: new Map(fields.map((f) => [f.jsonName, f])) };
  schemas.set(name, schema);
  return schema;
}
