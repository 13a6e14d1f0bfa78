import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "../command";
import type { Output } from "../output";
import { formatDate, table } from "../output";
import type { Certificate, Domain } from "../types";

const projectArg = { name: "project", required: true, description: "The project's name (or id)" };
const hostnameArg = { name: "hostname", required: true, description: "The domain, e.g. www.example.com" };

/** The records to create, as a table the owner can copy from. */
function printRecords(out: Output, domain: Domain): void {
  out.line(
    table(
      ["TYPE", "NAME", "VALUE"],
      domain.records.map((r) => [r.type, r.name, r.value]),
    ),
  );
  for (const r of domain.records) out.line(`  ${r.type}: ${r.purpose}`);
}

function printStatus(out: Output, domain: Domain): void {
  const serving = domain.serving ? "serving" : "not serving";
  out.line(`${domain.hostname}: ${domain.status} (${serving})`);
  if (domain.detail) out.line(`  ${domain.detail}`);
}

function certificateSummary(certificate: Certificate | null): string {
  if (!certificate) return "none";
  if (certificate.status === "issued") return `issued, expires ${formatDate(certificate.expiresAt)}`;
  return certificate.status;
}

export const domainsAdd: Command = {
  name: "domains add",
  summary: "Attach a custom domain and print the DNS records that verify it",
  description: [
    "Attaches <hostname> to the project. Create the printed TXT record (ownership) and the CNAME (or, for an",
    "apex domain, ALIAS/flattened CNAME or A/AAAA) record, then run `miaobu domains verify`. Wildcards are",
    "not supported: add each hostname. --deployment pins the domain to one deployment instead of production.",
  ].join("\n"),
  positionals: [projectArg, hostnameArg],
  options: {
    deployment: { type: "string", value: "<id>", description: "Serve this deployment instead of production" },
  },
  examples: ["miaobu domains add my-site www.example.com", "miaobu domains add my-site example.com --json"],
  async run(context, { values, positionals }) {
    const [project = "", hostname = ""] = positionals;
    const client = await context.client();
    const pin = typeof values.deployment === "string" ? values.deployment : undefined;
    const { domain } = await client.addDomain(project, hostname, pin);
    const { out } = context;
    out.result({ domain });
    out.line(`Added ${domain.hostname} to ${project}. Create these DNS records:`);
    printRecords(out, domain);
    out.line(`Then run \`miaobu domains verify ${project} ${domain.hostname}\`.`);
    return 0;
  },
};

export const domainsList: Command = {
  name: "domains list",
  summary: "List a project's custom domains and their status",
  positionals: [projectArg],
  options: {},
  examples: ["miaobu domains list my-site", "miaobu domains list my-site --json"],
  async run(context, { positionals }) {
    const [project = ""] = positionals;
    const client = await context.client();
    const { domains } = await client.listDomains(project);
    const { out } = context;
    out.result({ domains });
    if (domains.length === 0) {
      out.line(`No domains. Add one with \`miaobu domains add ${project} www.example.com\`.`);
      return 0;
    }
    out.line(
      table(
        ["HOSTNAME", "STATUS", "SERVING", "DEPLOYMENT", "CERTIFICATE", "CHECKED", "DETAIL"],
        domains.map((d) => [
          d.hostname,
          d.status,
          d.serving ? "yes" : "no",
          d.deploymentId ?? "production",
          certificateSummary(d.certificate ?? null),
          formatDate(d.checkedAt),
          d.detail ?? "",
        ]),
      ),
    );
    return 0;
  },
};

export const domainsVerify: Command = {
  name: "domains verify",
  summary: "Check a domain's DNS records now",
  description:
    "Exits with 1 when the domain is not verified, printing what is wrong and the records to create.",
  positionals: [projectArg, hostnameArg],
  options: {},
  examples: ["miaobu domains verify my-site www.example.com"],
  async run(context, { positionals }) {
    const [project = "", hostname = ""] = positionals;
    const client = await context.client();
    const { domain } = await client.verifyDomain(project, hostname);
    const { out } = context;
    out.result({ domain });
    printStatus(out, domain);
    if (domain.status === "verified") return 0;
    out.line("The records it needs:");
    printRecords(out, domain);
    return 1;
  },
};

export const domainsRemove: Command = {
  name: "domains remove",
  summary: "Detach a custom domain; it stops being served",
  positionals: [projectArg, hostnameArg],
  options: {},
  examples: ["miaobu domains remove my-site www.example.com"],
  async run(context, { positionals }) {
    const [project = "", hostname = ""] = positionals;
    const client = await context.client();
    await client.removeDomain(project, hostname);
    context.out.line(`Removed ${hostname} from ${project}.`);
    context.out.result({ removed: { hostname } });
    return 0;
  },
};

export const domainsCertificate: Command = {
  name: "domains certificate",
  summary: "Show, issue or renew, and download a domain's TLS certificate",
  description: [
    "Without options, prints the certificate's status, expiry and last error. --issue orders (or renews) it",
    "now through ACME; the cron trigger renews it 30 days before expiry anyway. --download <dir> writes",
    "fullchain.pem and privkey.pem (mode 0600) for a TLS terminator you run in front of the router.",
  ].join("\n"),
  positionals: [projectArg, hostnameArg],
  options: {
    issue: { type: "boolean", description: "Issue or renew the certificate now" },
    download: {
      type: "string",
      value: "<dir>",
      description: "Write fullchain.pem and privkey.pem into <dir>",
    },
  },
  examples: [
    "miaobu domains certificate my-site www.example.com",
    "miaobu domains certificate my-site www.example.com --issue",
    "miaobu domains certificate my-site www.example.com --download /etc/ssl/www.example.com",
  ],
  async run(context, { values, positionals }) {
    const [project = "", hostname = ""] = positionals;
    const client = await context.client();
    const { out } = context;
    if (typeof values.download === "string") {
      const pem = await client.downloadCertificate(project, hostname);
      await mkdir(values.download, { recursive: true });
      const chain = path.join(values.download, "fullchain.pem");
      const key = path.join(values.download, "privkey.pem");
      await writeFile(chain, pem.certificate, { mode: 0o644 });
      await writeFile(key, pem.privateKey, { mode: 0o600 });
      out.line(`Wrote ${chain} and ${key} (expires ${formatDate(pem.expiresAt)}).`);
      out.result({ certificate: chain, privateKey: key, expiresAt: pem.expiresAt });
      return 0;
    }
    const { certificate } = await client.certificate(project, hostname, values.issue === true);
    out.result({ certificate });
    if (!certificate) {
      out.line(`${hostname} has no certificate yet. Order one with --issue once the domain is verified.`);
      return 0;
    }
    out.line(`${hostname}: ${certificateSummary(certificate)} (${certificate.provider})`);
    if (certificate.lastError) out.line(`  last error: ${certificate.lastError}`);
    if (certificate.nextAttemptAt) out.line(`  next attempt: ${formatDate(certificate.nextAttemptAt)}`);
    return certificate.status === "failed" ? 1 : 0;
  },
};
