import { addBody, pinBody } from "../routes/domains.ts";
import { json } from "./operations-json.ts";
import type { Operation } from "./registry.ts";

const DOMAIN =
  "`{ domain }`: `{ id, hostname, apex, status, detail, deploymentId, serving, records, verifiedAt, checkedAt, createdAt }`";

/** Custom domains (docs/custom-domains.md); every one needs the `admin` scope. */
export const domainOperations: Operation[] = [
  {
    method: "get",
    path: "/api/v1/projects/:project/domains",
    tag: "domains",
    summary: "A project's custom domains with their status and the DNS records they need",
    auth: "token",
    success: { status: 200, description: "`{ domains }`" },
    rateLimit: ["api"],
  },
  {
    method: "post",
    path: "/api/v1/projects/:project/domains",
    tag: "domains",
    summary: "Attach a hostname; the answer lists the TXT and CNAME/ALIAS records to create",
    auth: "token",
    body: json(addBody, { hostname: "www.example.com" }),
    success: { status: 201, description: DOMAIN },
    errors: {
      409: "already attached here, verified by another project, or the project has 50 domains",
      422: "not a hostname, a wildcard, an IP address, or the platform's own domain",
    },
    rateLimit: ["api"],
  },
  {
    method: "get",
    path: "/api/v1/projects/:project/domains/:hostname",
    tag: "domains",
    summary: "One custom domain",
    auth: "token",
    success: { status: 200, description: DOMAIN },
    rateLimit: ["api"],
  },
  {
    method: "patch",
    path: "/api/v1/projects/:project/domains/:hostname",
    tag: "domains",
    summary: "Pin a domain to a ready deployment, or (null) make it follow production",
    auth: "token",
    body: json(pinBody, { deploymentId: null }),
    success: { status: 200, description: DOMAIN },
    errors: { 409: "the deployment is not ready" },
    rateLimit: ["api"],
  },
  {
    method: "post",
    path: "/api/v1/projects/:project/domains/:hostname/verify",
    tag: "domains",
    summary: "Check the domain's DNS now (the cron trigger re-checks every 15 minutes)",
    auth: "token",
    success: { status: 200, description: DOMAIN },
    rateLimit: ["api"],
  },
  {
    method: "delete",
    path: "/api/v1/projects/:project/domains/:hostname",
    tag: "domains",
    summary: "Detach a domain; it stops being served",
    auth: "token",
    success: { status: 204, description: "removed" },
    rateLimit: ["api"],
  },

  {
    method: "get",
    path: "/api/v1/projects/:project/domains/:hostname/certificate",
    tag: "domains",
    summary: "The domain's TLS certificate: status, expiry, last error",
    auth: "token",
    success: {
      status: 200,
      description:
        "`{ certificate: { provider, status, notBefore, expiresAt, lastError, attempts, nextAttemptAt } | null }`",
    },
    rateLimit: ["api"],
  },
  {
    method: "post",
    path: "/api/v1/projects/:project/domains/:hostname/certificate",
    tag: "domains",
    summary: "Issue or renew the certificate now (ACME http-01 through the router)",
    auth: "token",
    success: {
      status: 200,
      description: "`{ certificate }`; a failure is `status: failed` with `lastError`",
    },
    errors: { 409: "the domain is not verified" },
    rateLimit: ["api"],
  },
  {
    method: "get",
    path: "/api/v1/projects/:project/domains/:hostname/certificate/download",
    tag: "domains",
    summary: "The certificate chain and private key (PEM), for a self-hosted TLS terminator",
    auth: "token",
    success: { status: 200, description: "`{ certificate, privateKey, expiresAt }`" },
    rateLimit: ["api"],
  },
];
