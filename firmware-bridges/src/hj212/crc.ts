/**
 * HJ 212-2017 Appendix A CRC, as worded in DOMAIN.md §8. It is not CRC-16/MODBUS: each byte is
 * XORed into the register after shifting it right by 8, and the result is written high byte first.
 */
export function hj212Crc(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const byte of bytes) {
    reg = (reg >>> 8) ^ byte;
    for (let i = 0; i < 8; i += 1) {
      const lsb = reg & 1;
      reg >>>= 1;
      if (lsb) reg ^= 0xa001;
    }
  }
  return reg & 0xffff;
}

/** The CRC as the 4 upper-case hex digits that go on the wire. */
export function hj212CrcHex(bytes: Uint8Array): string {
  return hj212Crc(bytes).toString(16).toUpperCase().padStart(4, '0');
}
