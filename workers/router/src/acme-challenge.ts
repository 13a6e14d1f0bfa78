/** Where ACME http-01 challenges are fetched (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = "/.well-known/acme-challenge/";

const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * The key authorization of a pending ACME order for `host` and the token in `pathname`, or null. Only a
 * certificate the API is ordering has a token, so this answers nothing for any other host or token; one
 * primary-key-indexed query on a path visitors never ask for.
 */
export async function acmeChallenge(
  db: D1Database,
  host: string,
  pathname: string,
): Promise<Response | null> {
  const token = pathname.slice(ACME_CHALLENGE_PREFIX.length);
  if (!TOKEN.test(token)) return null;
  const row = await db
    .prepare("SELECT challenge_response FROM certificates WHERE hostname = ? AND challenge_token = ?")
    .bind(host, token)
    .first<{ challenge_response: string | null }>();
  if (!row?.challenge_response) return null;
  return new Response(row.challenge_response, {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}
