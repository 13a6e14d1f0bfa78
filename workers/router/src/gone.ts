// Deployments the retention policy deleted (docs/retention.md): their own host answers 410 Gone. The route
// lookup reads the deployment's status with the route (resolve-host.ts).

const GONE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Deployment deleted</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:0;display:grid;place-items:center;min-height:100vh;color:#333}main{text-align:center;padding:1rem;max-width:32rem}h1{font-size:1.5rem;margin:0 0 .5rem}p{margin:0;color:#666}</style>
</head>
<body>
<main>
<h1>This deployment was deleted</h1>
<p>This deployment was deleted by the project's retention policy. The site's current version is at its main address.</p>
</main>
</body>
</html>
`;

/** 410 Gone for a deleted deployment's own host; says nothing else about the project. */
export function deploymentGone(): Response {
  return new Response(GONE_PAGE, {
    status: 410,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "x-robots-tag": "noindex",
    },
  });
}
