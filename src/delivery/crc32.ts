// CRC-32 (IEEE 802.3, the zlib/PNG polynomial), table-driven, for the spool's record checksums.
// Web standards offer no checksum, and a crypto hash per record would cost more than the write.

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `bytes`, continuing from `crc` (the result of an earlier call) when given, so a
 * checksum can cover two ranges without copying them together.
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
