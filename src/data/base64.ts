// Bytes <-> base64 for what storage.local keeps (it holds JSON in Chrome, so
// binary goes in as text). The native Uint8Array.fromBase64/toBase64 (Chrome
// 140, Firefox 133) decode a stored IP table in well under a millisecond; the
// fallback serves older browsers and Node 20.

type NativeBase64 = {
  fromBase64?: (text: string) => Uint8Array;
};

export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as Uint8Array & { toBase64?: () => string }).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  let binary = '';
  // Chunks keep String.fromCharCode's argument list well under engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Throws on text that is not base64. The result is a fresh, aligned buffer (IpTable.decode views it in place). */
export function base64ToBytes(text: string): Uint8Array {
  const native = (Uint8Array as unknown as NativeBase64).fromBase64;
  if (typeof native === 'function') return native(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
