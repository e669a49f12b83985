import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { batchWritesPerTick } from '../../../src/cache/remote/ssh.js';

describe('batchWritesPerTick', () => {
  let server: net.Server | undefined;
  afterEach(() => server?.close());

  it('holds the writes of one event-loop turn and sends them, in order, as one writev', async () => {
    const received: Buffer[] = [];
    const ended = new Promise<void>((resolve) => {
      server = net.createServer((s) => {
        s.on('data', (d: Buffer) => received.push(d));
        s.on('end', () => resolve());
      });
    });
    server!.listen(0, '127.0.0.1');
    await once(server!, 'listening');
    const { port } = server!.address() as net.AddressInfo;
    const sock = batchWritesPerTick(net.connect({ host: '127.0.0.1', port }));
    await once(sock, 'connect');
    const writev: number[] = [];
    const internal = sock as unknown as { _writev: (chunks: unknown[], cb: () => void) => void };
    const original = internal._writev.bind(sock);
    internal._writev = (chunks, cb) => {
      writev.push(chunks.length);
      original(chunks, cb);
    };

    for (const part of ['one,', 'two,', 'three']) sock.write(part);
    expect(sock.writableCorked).toBe(1);
    await new Promise((resolve) => process.nextTick(resolve));
    expect(sock.writableCorked).toBe(0);
    expect(writev).toEqual([3]);

    sock.write('!'); // a later turn is corked again
    expect(sock.writableCorked).toBe(1);
    sock.end();
    await ended;
    expect(Buffer.concat(received).toString()).toBe('one,two,three!');
  });
});
