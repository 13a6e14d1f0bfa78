import { base64url } from "./crypto.ts";

// Secrets at rest: `v1.{iv}.{ciphertext+tag}`, both unpadded base64url; the version names the scheme so a
// key rotation can add `v2` without guessing.
const VERSION = "v1";
const IV_BYTES = 12;

const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function aesKey(raw: Uint8Array): Promise<CryptoKey> {
  let key = keys.get(raw);
  if (!key) {
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(raw, key);
  }
  return key;
}

/** Bytes of unpadded base64url. */
export function fromBase64url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return Uint8Array.from(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)), (ch) => ch.charCodeAt(0));
}

/**
 * AES-GCM encryption of a UTF-8 string under a 32-byte key. `context` (e.g. the row it belongs to) is bound
 * as additional data, so a ciphertext copied into another row does not decrypt there.
 */
export async function encryptSecret(key: Uint8Array, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
    await aesKey(key),
    new TextEncoder().encode(plaintext),
  );
  return `${VERSION}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/** The plaintext of `encryptSecret`; throws when the key, the context or the ciphertext is wrong. */
export async function decryptSecret(key: Uint8Array, sealed: string, context: string): Promise<string> {
  const [version, iv, body] = sealed.split(".");
  if (version !== VERSION || !iv || !body) throw new Error("unknown secret format");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64url(iv), additionalData: new TextEncoder().encode(context) },
    await aesKey(key),
    fromBase64url(body),
  );
  return new TextDecoder().decode(plain);
}

/** HMAC-SHA256 of bytes under a UTF-8 key. */
export async function hmacSha256(key: string, data: Uint8Array): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, data));
}

/** Compares two strings in time that depends only on their lengths. */
export function timingSafeEqualText(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}
