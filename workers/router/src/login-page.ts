/** The reserved path of a protected preview's login form. */
export const LOGIN_PATH = "/__miaobu/login";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The platform's login form for a password-protected preview; it names no project. */
export function loginPage(status: number, next: string, error: string | null): Response {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Password required</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;color:#333}form{display:grid;gap:.75rem;padding:1rem;min-width:16rem}h1{font-size:1.25rem;margin:0}input,button{font:inherit;padding:.5rem}p{margin:0;color:#b00020}</style>
</head>
<body>
<form method="post" action="${LOGIN_PATH}">
<h1>This preview is password-protected</h1>
${error ? `<p role="alert">${escapeHtml(error)}</p>` : ""}
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>Password <input type="password" name="password" autocomplete="current-password" required autofocus></label>
<button type="submit">Continue</button>
</form>
</body>
</html>
`;
  return new Response(html, {
    status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-robots-tag": "noindex",
      "x-frame-options": "DENY",
      "x-content-type-options": "nosniff",
    },
  });
}
