import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** A malformed file: what is wrong and at which byte. Becomes `FILE: not an ONNX model: ...`. */
export class OnnxFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const WINDOW = 1 << 20;

/**
 * Reads a file front to back through a fixed 1 MiB window, so memory stays bounded whatever the
 * file's size; `skip` moves past bytes without reading them (initializer payloads). Every read is
 * checked against the end of the innermost message being scanned (`limit`) and of the file.
 */
export class FileCursor {
  private readonly fd: number;
  readonly size: number;
  private window = Buffer.alloc(0);
  private windowStart = 0;
  pos = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
    this.size = fstatSync(this.fd).size;
  }

  close(): void {
    closeSync(this.fd);
  }

  private ensure(n: number, limit: number, what: string): void {
    if (this.pos + n > limit) {
      throw new OnnxFormatError(
        limit === this.size ? `truncated: ${what} needs ${n} byte(s) at byte ${this.pos}, but the file ends at byte ${this.size}` : `${what} at byte ${this.pos} runs past the end of its enclosing message (byte ${limit})`,
        this.pos,
      );
    }
    const have = this.windowStart + this.window.length;
    if (this.pos >= this.windowStart && this.pos + n <= have) return;
    const len = Math.max(n, Math.min(WINDOW, this.size - this.pos));
    const buf = len === this.window.length ? this.window : Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const r = readSync(this.fd, buf, got, len - got, this.pos + got);
      if (r === 0) throw new OnnxFormatError(`truncated: the file ended while reading byte ${this.pos + got}`, this.pos + got);
      got += r;
    }
    this.window = buf;
    this.windowStart = this.pos;
  }

  /** A varint as a number (int64 values beyond 2^53 lose precision; negatives come back negative). */
  varint(limit: number, what = 'a varint'): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.ensure(1, limit, what);
      const b = this.window[this.pos - this.windowStart]!;
      this.pos++;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, result));
      shift += 7n;
    }
    throw new OnnxFormatError(`${what} at byte ${this.pos - 10} is longer than 10 bytes`, this.pos - 10);
  }

  /** A length-delimited field's length, checked to fit in the enclosing message. */
  length(limit: number, what: string): number {
    const at = this.pos;
    const n = this.varint(limit, `the length of ${what}`);
    if (n < 0 || this.pos + n > limit) {
      throw new OnnxFormatError(
        limit === this.size
          ? `truncated: ${what} at byte ${at} declares ${n} bytes, but the file ends at byte ${this.size}`
          : `${what} at byte ${at} declares ${n} bytes, past the end of its enclosing message (byte ${limit})`,
        at,
      );
    }
    return n;
  }

  /** `n` bytes as a fresh buffer (only for small fields: names, attributes, value infos). */
  bytes(n: number, limit: number, what: string): Buffer {
    this.ensure(n, limit, what);
    const start = this.pos - this.windowStart;
    this.pos += n;
    return Buffer.from(this.window.subarray(start, start + n));
  }

  /** The end of a field of `n` bytes starting at the cursor (call after reading its length). */
  end(n: number): number {
    return this.pos + n;
  }

  skip(n: number, limit: number, what: string): void {
    if (this.pos + n > limit) this.ensure(n, limit, what);
    this.pos += n;
  }

  /** Skips one field's value of wire type `wire` (0, 1, 2, 5); groups (3, 4) are not ONNX. */
  skipValue(wire: number, limit: number, what: string): void {
    if (wire === 0) this.varint(limit, what);
    else if (wire === 1) this.skip(8, limit, what);
    else if (wire === 5) this.skip(4, limit, what);
    else if (wire === 2) this.skip(this.length(limit, what), limit, what);
    else throw new OnnxFormatError(`${what}: wire type ${wire} at byte ${this.pos}, which no ONNX field uses`, this.pos);
  }
}
