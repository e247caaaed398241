import { randomBytes } from 'node:crypto';
import type * as vscode from 'vscode';

/**
 * The frame editor's page: its script and styles from the extension's dist/media only, a strict
 * Content-Security-Policy (no inline script, a nonce on the one script, nothing remote).
 */
export function frameEditorHtml(webview: vscode.Webview, media: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const src = (file: string): string => webview.asWebviewUri(media.with({ path: `${media.path}/${file}` })).toString();
  const csp = [`default-src 'none'`, `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`, `font-src ${webview.cspSource}`, `img-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${src('frameEditor.css')}">
<title>HyperFrame frame</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${src('frameEditor.js')}"></script>
</body>
</html>`;
}
