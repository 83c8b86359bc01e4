/**
 * Reads the delivery position JetStream encodes in a pushed message's reply subject:
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<streamSeq>.<consumerSeq>.<timestamp>.<pending>`
 * (and the newer form with `<domain>.<accountHash>` after ACK and a trailing token).
 */
export interface DeliveryInfo {
  stream: string;
  consumer: string;
  streamSequence: number;
  consumerSequence: number;
  pending: number;
}

/** Parses a JetStream ack subject; undefined when `subject` is not one. */
export function parseDeliveryInfo(subject: string | undefined): DeliveryInfo | undefined {
  if (!subject) return undefined;
  let tokens = subject.split('.');
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') return undefined;
  if (tokens.length === 9) tokens = [tokens[0], tokens[1], '', '', ...tokens.slice(2)];
  if (tokens.length < 11) return undefined;
  const numbers = [tokens[7], tokens[8], tokens[10]].map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  return { stream: tokens[4], consumer: tokens[5], streamSequence: numbers[0], consumerSequence: numbers[1], pending: numbers[2] };
}
