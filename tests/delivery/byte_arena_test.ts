import { test } from "node:test";
import assert from "node:assert/strict";
import { ByteArena, type Slot } from "../../src/delivery/_byte_arena.ts";

const decoder = new TextDecoder();
const utf8 = (text: string) => new TextEncoder().encode(text).byteLength;

test("ByteArena: every held item reads back as written while others are released and overwritten in any order", () => {
  // A small chunk, so that chunks fill, empty and are reused many times over.
  const arena = new ByteArena(256);
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const held: { text: string; slot: Slot }[] = [];
  for (let step = 0; step < 20_000; step++) {
    if (held.length === 0 || random() < 0.55) {
      // ASCII and multi-byte text, and now and then one larger than a quarter chunk.
      const length = random() < 0.05 ? 100 + Math.floor(random() * 200) : Math.floor(random() * 40);
      const text = Array.from(
        { length },
        (_, i) => (random() < 0.1 ? "é✓ж"[i % 3] : String.fromCharCode(97 + (step + i) % 26)),
      ).join("");
      held.push({ text, slot: arena.store(text, utf8(text)) });
    } else {
      const [gone] = held.splice(Math.floor(random() * held.length), 1);
      arena.release(gone.slot);
    }
    if (step % 97 === 0) {
      for (const { text, slot } of held) assert.equal(decoder.decode(slot.bytes), text);
    }
  }
  for (const { text, slot } of held) assert.equal(decoder.decode(slot.bytes), text);
});

test("ByteArena: an emptied chunk is written over rather than a new one made", () => {
  const arena = new ByteArena(64);
  const first = arena.store("a".repeat(10), 10);
  const second = arena.store("b".repeat(10), 10);
  arena.release(first);
  arena.release(second);
  const third = arena.store("c".repeat(10), 10);
  assert.equal(third.bytes.buffer, first.bytes.buffer, "the same chunk");
  assert.equal(third.bytes.byteOffset, 0, "from its start");
  // Six more fill that chunk and start a second; once all are released, the next item goes to
  // the start of the current chunk, and the first one waits as a spare for the one after.
  const items = Array.from({ length: 6 }, (_, i) => arena.store(String(i).repeat(10), 10));
  assert.notEqual(items[5].bytes.buffer, first.bytes.buffer);
  for (const slot of [third, ...items]) arena.release(slot);
  const next = arena.store("d".repeat(10), 10);
  assert.equal(next.bytes.buffer, items[5].bytes.buffer);
  assert.equal(next.bytes.byteOffset, 0);
  const rest = Array.from({ length: 6 }, () => arena.store("e".repeat(10), 10));
  assert.equal(rest[5].bytes.buffer, first.bytes.buffer, "the spare, not a new chunk");
});

test("ByteArena: an item over a quarter chunk gets a buffer of its own", () => {
  const arena = new ByteArena(64);
  const large = arena.store("x".repeat(17), 17);
  const small = arena.store("y", 1);
  assert.notEqual(large.bytes.buffer, small.bytes.buffer);
  assert.equal(large.bytes.byteLength, 17);
  assert.equal(decoder.decode(large.bytes), "x".repeat(17));
});
