/** Random base62 strings for link codes, click ids and member tokens (crypto-strong, unbiased). */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters of [0-9A-Za-z]; each carries log2(62) ≈ 5.95 bits. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const b of randomBytes(length * 2)) {
      // 248 = 4 × 62: bytes above it are dropped so every character is equally likely.
      if (b < 248) out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Length of link codes: 62^7 ≈ 3.5 × 10^12 codes. */
export const CODE_LENGTH = 7;
/** Length of click ids (≈ 95 bits): unguessable, so a conversion cannot claim someone else's click. */
export const CLICK_ID_LENGTH = 16;
/** Length of member tokens (≈ 131 bits): a personal link cannot be guessed from another. */
export const TOKEN_LENGTH = 22;
