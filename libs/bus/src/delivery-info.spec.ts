import { parseDeliveryInfo } from './delivery-info';

describe('parseDeliveryInfo', () => {
  it('reads the classic ack subject', () => {
    expect(parseDeliveryInfo('$JS.ACK.SKIFF_WATCH.abc123.1.42.7.1700000000000000000.3')).toEqual({
      stream: 'SKIFF_WATCH',
      consumer: 'abc123',
      streamSequence: 42,
      consumerSequence: 7,
      pending: 3,
    });
  });

  it('reads the ack subject with domain and account hash', () => {
    expect(parseDeliveryInfo('$JS.ACK.hub.ACCHASH.SKIFF_WATCH.c1.1.10.2.1700000000000000000.0.rnd')).toMatchObject({
      stream: 'SKIFF_WATCH',
      consumer: 'c1',
      streamSequence: 10,
      consumerSequence: 2,
      pending: 0,
    });
  });

  it('rejects anything else', () => {
    expect(parseDeliveryInfo(undefined)).toBeUndefined();
    expect(parseDeliveryInfo('_INBOX.abc')).toBeUndefined();
    expect(parseDeliveryInfo('$JS.ACK.S.c.1.x.2.3.4')).toBeUndefined();
    expect(parseDeliveryInfo('$JS.ACK.S.c.1')).toBeUndefined();
  });
});
