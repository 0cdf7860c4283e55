/**
 * Finds a marker in a byte stream that arrives in chunks, passing on every byte before it.
 * Bytes that could be the start of a marker split across chunks are held back until the next
 * chunk decides, so the output never contains any part of the marker.
 */
export class MarkerScanner {
  readonly #marker: Buffer;
  #held: Buffer = Buffer.alloc(0);
  #found = false;

  constructor(marker: Buffer) {
    if (marker.length === 0) throw new RangeError('a marker must not be empty');
    this.#marker = marker;
  }

  /** Whether the marker has been seen. */
  get found(): boolean {
    return this.#found;
  }

  /**
   * Feeds `chunk`. Returns the bytes now known to precede the marker (`data`) and, once the
   * marker is seen, the bytes after it (`rest`); later pushes are refused.
   */
  push(chunk: Buffer): { data: Buffer; rest?: Buffer } {
    if (this.#found) throw new Error('marker already found');
    const buffer = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    const at = buffer.indexOf(this.#marker);
    if (at >= 0) {
      this.#found = true;
      this.#held = Buffer.alloc(0);
      return { data: buffer.subarray(0, at), rest: buffer.subarray(at + this.#marker.length) };
    }
    const keep = heldTail(buffer, this.#marker);
    this.#held = Buffer.from(buffer.subarray(buffer.length - keep));
    return { data: buffer.subarray(0, buffer.length - keep) };
  }
}

/** How many bytes at the end of `buffer` are a proper prefix of `marker`. */
function heldTail(buffer: Buffer, marker: Buffer): number {
  for (let length = Math.min(marker.length - 1, buffer.length); length > 0; length--) {
    if (buffer.subarray(buffer.length - length).equals(marker.subarray(0, length))) return length;
  }
  return 0;
}
