/** An ACME failure in words the owner can act on. */
export function explainAcmeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const short = message.slice(0, 300);
  if (/caa/i.test(message)) {
    return `the domain's CAA records do not allow this certificate authority: add a CAA "issue" record for it (${short})`;
  }
  if (/rate.?limit|too many/i.test(message)) {
    return `the certificate authority's rate limit was reached; Miaobu retries later (${short})`;
  }
  if (
    /connection|connect|timeout|refused|dns|nxdomain|no valid ip|unauthorized|invalid response|404/i.test(
      message,
    )
  ) {
    return `the certificate authority could not fetch the challenge from this domain: check that its DNS points at Miaobu (${short})`;
  }
  return `the certificate could not be issued: ${short}`;
}
