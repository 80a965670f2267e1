/** Save text or a data URL as a file through the browser's download (works in Electron too). */
export function download(filename: string, content: string, mime = 'text/plain'): void {
  const url = content.startsWith('data:')
    ? content
    : URL.createObjectURL(new Blob([content], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  if (!content.startsWith('data:')) setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
