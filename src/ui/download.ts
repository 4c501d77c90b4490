// Saving a file and copying text, from an extension page, with no extra
// permission: an <a download> on a blob URL (the "downloads" permission
// would be one more thing to ask for), and the async clipboard API, which
// works from a click in both browsers' extension pages.

export function saveFile(name: string, mime: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${mime};charset=utf-8` }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Firefox reads the blob after click() returns: revoke a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function copyText(text: string): Promise<void> {
  await navigator.clipboard.writeText(text);
}
