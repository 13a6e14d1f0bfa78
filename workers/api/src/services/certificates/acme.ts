import * as acme from "acme-client";
import type { Deps } from "../../env.ts";
import { decryptSecret, encryptSecret } from "../../lib/secrets.ts";

// workerd has fetch, not Node's http module.
acme.axios.defaults.adapter = "fetch";

const ACCOUNT_KEY = "platform/acme/account-key";

/** The platform's ACME account key, created once and kept encrypted in storage. */
async function accountKey(deps: Pick<Deps, "storage" | "config">): Promise<string> {
  const key = deps.config.keys.encryptionKey;
  const context = `acme-account:${deps.config.domains.acmeDirectory}`;
  const stored = await deps.storage.get(ACCOUNT_KEY);
  if (stored) {
    try {
      return await decryptSecret(key, await stored.text(), context);
    } catch {
      // Another directory's (or an old key's) account: make a new one below.
    }
  }
  const pem = (await acme.crypto.createPrivateEcdsaKey()).toString();
  await deps.storage.put(ACCOUNT_KEY, await encryptSecret(key, pem, context));
  return pem;
}

/** What the CA issued. */
export interface Issued {
  certificatePem: string;
  privateKeyPem: string;
  notBefore: number;
  expiresAt: number;
}

/** Where the router finds the answer to an http-01 challenge while the order is pending. */
export interface ChallengeStore {
  put(token: string, keyAuthorization: string): Promise<void>;
  clear(): Promise<void>;
}

/**
 * Orders a certificate for one hostname over http-01; the CA fetches the token from the router. The
 * client's own DNS pre-check is skipped: it asks the system resolver (absent in workerd), and the domain's
 * DNS was just checked through DoH.
 */
export async function orderCertificate(
  deps: Pick<Deps, "storage" | "config">,
  hostname: string,
  challenges: ChallengeStore,
): Promise<Issued> {
  const client = new acme.Client({
    directoryUrl: deps.config.domains.acmeDirectory,
    accountKey: await accountKey(deps),
    backoffAttempts: 10,
    backoffMin: 500,
    backoffMax: 5000,
  });
  const [privateKey, csr] = await acme.crypto.createCsr(
    { altNames: [hostname] },
    await acme.crypto.createPrivateEcdsaKey(),
  );
  const email = deps.config.domains.acmeEmail;
  const certificatePem = await client.auto({
    csr,
    ...(email ? { email } : {}),
    termsOfServiceAgreed: true,
    challengePriority: ["http-01"],
    skipChallengeVerification: true,
    challengeCreateFn: (_authz, challenge, keyAuthorization) =>
      challenges.put(challenge.token, keyAuthorization),
    challengeRemoveFn: () => challenges.clear(),
  });
  const info = acme.crypto.readCertificateInfo(certificatePem);
  return {
    certificatePem,
    privateKeyPem: privateKey.toString(),
    notBefore: info.notBefore.getTime(),
    expiresAt: info.notAfter.getTime(),
  };
}
