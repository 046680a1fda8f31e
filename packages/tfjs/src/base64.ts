// Base64 to bytes, for the WebAssembly modules this package embeds (atob exists in Node >= 16 and in browsers).

/** The bytes `text` (base64) encodes. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
