/**
 * A double-ended queue on a growable ring buffer: push/shift/unshift/pop in O(1) amortized, where
 * `Array.prototype.shift` on a long array is O(n). The capacity is a power of two so indexes wrap
 * with a mask; it doubles when full and halves when three quarters empty, so a queue that once held
 * a million messages gives the memory back once it drains.
 */
const MIN_CAPACITY = 16;

export class Deque<T> {
  private buffer: Array<T | undefined>;
  private head = 0;
  private size = 0;
  private mask: number;

  constructor(initialCapacity = MIN_CAPACITY) {
    let capacity = MIN_CAPACITY;
    while (capacity < initialCapacity) capacity *= 2;
    this.buffer = new Array<T | undefined>(capacity);
    this.mask = capacity - 1;
  }

  get length(): number {
    return this.size;
  }

  /** Adds at the tail. */
  push(item: T): void {
    if (this.size === this.buffer.length) this.resize(this.buffer.length * 2);
    this.buffer[(this.head + this.size) & this.mask] = item;
    this.size++;
  }

  /** Adds at the head. */
  unshift(item: T): void {
    if (this.size === this.buffer.length) this.resize(this.buffer.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buffer[this.head] = item;
    this.size++;
  }

  /** Removes and returns the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.buffer[this.head];
    this.buffer[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.size--;
    this.maybeShrink();
    return item;
  }

  /** Removes and returns the tail, or undefined when empty. */
  pop(): T | undefined {
    if (this.size === 0) return undefined;
    const index = (this.head + this.size - 1) & this.mask;
    const item = this.buffer[index];
    this.buffer[index] = undefined;
    this.size--;
    this.maybeShrink();
    return item;
  }

  /** The head without removing it. */
  peek(): T | undefined {
    return this.size === 0 ? undefined : this.buffer[this.head];
  }

  /** The item `index` places from the head (0 = head), or undefined. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    return this.buffer[(this.head + index) & this.mask];
  }

  clear(): void {
    this.buffer = new Array<T | undefined>(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    this.head = 0;
    this.size = 0;
  }

  /** Head to tail. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.size; i++) yield this.buffer[(this.head + i) & this.mask] as T;
  }

  private maybeShrink(): void {
    const capacity = this.buffer.length;
    if (capacity > MIN_CAPACITY && this.size <= capacity >>> 2) this.resize(capacity >>> 1);
  }

  private resize(capacity: number): void {
    const next = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.size; i++) next[i] = this.buffer[(this.head + i) & this.mask];
    this.buffer = next;
    this.head = 0;
    this.mask = capacity - 1;
  }
}
