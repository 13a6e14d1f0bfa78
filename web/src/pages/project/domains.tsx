import { useEffect, useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, seg } from "../../api/client.ts";
import type { Certificate, Deployment, DnsRecord, Domain, DomainStatus, Project } from "../../api/types.ts";
import { ErrorMessage } from "../../components/error-message.tsx";
import { ProjectFrame, useProject } from "../../components/project-frame.tsx";
import { BusyButton, CopyButton, Loading } from "../../components/ui.tsx";
import { ago, firstLine, when } from "../../lib/format.ts";
import { useAction, useInterval, useNow, useResource } from "../../lib/hooks.ts";

/** How often the list is read again while a domain or its certificate is still pending. */
const POLL_MS = 5000;

const STATUS: Record<DomainStatus, { label: string; tone: string }> = {
  pending: { label: "Pending verification", tone: "wait" },
  verified: { label: "Verified", tone: "ok" },
  misconfigured: { label: "Misconfigured", tone: "bad" },
};

const CERT_LABEL: Record<Certificate["status"], { label: string; tone: string }> = {
  pending: { label: "Certificate pending", tone: "wait" },
  issued: { label: "Certificate issued", tone: "ok" },
  failed: { label: "Certificate failed", tone: "bad" },
};

/** Whether anything about this domain is still expected to change on its own (cron checks). */
function unsettled(d: Domain): boolean {
  return d.status !== "verified" || d.certificate?.status === "pending";
}

function DomainStatusBadge({ status }: { status: DomainStatus }) {
  return (
    <span class={`badge ${STATUS[status].tone}`} data-status={status}>
      {STATUS[status].label}
    </span>
  );
}

function Records({ domain }: { domain: Domain }) {
  return (
    <div class="stack">
      <p class="hint">
        Create {domain.records.length === 1 ? "this record" : "these records"} at your DNS provider. Most
        providers' panels add your zone (such as <code>example.com</code>) to the name themselves: then enter
        only the part before it. Keep the TXT record as long as the domain is attached.
      </p>
      <ul class="list records" aria-label={`DNS records for ${domain.hostname}`}>
        {domain.records.map((r) => (
          <RecordRow key={`${r.type}:${r.name}`} record={r} />
        ))}
      </ul>
      {domain.apex && (
        <p class="hint">
          <strong>{domain.hostname}</strong> is an apex domain, which cannot hold a CNAME. Use your provider's
          ALIAS, ANAME or CNAME flattening; or A and AAAA records with the addresses the target resolves to.
        </p>
      )}
    </div>
  );
}

function RecordRow({ record }: { record: DnsRecord }) {
  return (
    <li class="record" data-type={record.type}>
      <dl class="facts">
        <dt>Type</dt>
        <dd>
          <code>{record.type}</code>
          {record.purpose && <span class="muted"> · {record.purpose}</span>}
        </dd>
        <dt>Name</dt>
        <dd class="row">
          <code class="grow break" data-testid="record-name">
            {record.name}
          </code>
          <CopyButton text={record.name} what={`the ${record.type} record's name`} />
        </dd>
        <dt>Value</dt>
        <dd class="row">
          <code class="grow break" data-testid="record-value">
            {record.value}
          </code>
          <CopyButton text={record.value} what={`the ${record.type} record's value`} />
        </dd>
      </dl>
    </li>
  );
}

function CertificateStatus({
  domain,
  path,
  onChanged,
}: {
  domain: Domain;
  path: string;
  onChanged: () => void;
}) {
  const cert = domain.certificate ?? null;
  const issue = useAction(async () => {
    await api.post(`${path}/certificate`);
    onChanged();
  });
  const canIssue = domain.status === "verified" && cert?.status !== "pending";
  return (
    <div class="stack cert">
      <h4>HTTPS</h4>
      <p role="status">
        {!cert ? (
          <span class="muted">
            {domain.status === "verified"
              ? "No certificate yet: it is ordered automatically."
              : "A certificate is ordered once the domain is verified."}
          </span>
        ) : (
          <>
            <span class={`badge ${CERT_LABEL[cert.status].tone}`} data-cert={cert.status}>
              {CERT_LABEL[cert.status].label}
            </span>{" "}
            {cert.status === "issued" && cert.expiresAt && (
              <span>
                expires{" "}
                <time dateTime={cert.expiresAt} title={when(cert.expiresAt)}>
                  {ago(cert.expiresAt)}
                </time>{" "}
                ({new Date(cert.expiresAt).toLocaleDateString()})
              </span>
            )}
            {cert.status !== "issued" && cert.nextAttemptAt && (
              <span class="muted">
                next attempt <time dateTime={cert.nextAttemptAt}>{ago(cert.nextAttemptAt)}</time>
              </span>
            )}
          </>
        )}
      </p>
      {cert?.lastError && <p class="error-line problem">{cert.lastError}</p>}
      {canIssue && (
        <div class="actions">
          <BusyButton
            class="small"
            busy={issue.busy}
            busyLabel="Ordering the certificate…"
            onClick={() => void issue.run()}
            aria-label={`${cert?.status === "issued" ? "Renew" : "Order"} the certificate for ${domain.hostname} now`}
          >
            {cert?.status === "issued" ? "Renew now" : "Order now"}
          </BusyButton>
        </div>
      )}
      <ErrorMessage error={issue.error} prefix="Could not order the certificate" />
    </div>
  );
}

function PinForm({
  domain,
  path,
  deployments,
  onSaved,
}: {
  domain: Domain;
  path: string;
  deployments: Deployment[] | undefined;
  onSaved: (d: Domain) => void;
}) {
  const current = domain.deploymentId ?? "";
  const [target, setTarget] = useState(current);
  useEffect(() => setTarget(current), [current]);
  const save = useAction(async () => {
    const { domain: next } = await api.patch<{ domain: Domain }>(path, { deploymentId: target || null });
    onSaved(next);
  });
  const ready = (deployments ?? []).filter((d) => d.status === "ready");
  const known = current === "" || ready.some((d) => d.id === current);
  const id = `pin-${domain.id}`;
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <div class="row pin">
        <div class="grow field">
          <label for={id}>Serves</label>
          <select
            id={id}
            name="deploymentId"
            value={target}
            onChange={(e) => setTarget(e.currentTarget.value)}
          >
            <option value="">Production (follows every promotion and rollback)</option>
            {!known && <option value={current}>Pinned: {current}</option>}
            {ready.map((d) => (
              <option key={d.id} value={d.id}>
                Pinned: {d.shortId} · {d.branch}
                {d.commitMessage ? ` · ${firstLine(d.commitMessage, 40)}` : ""}
                {d.isProduction ? " (production now)" : ""}
              </option>
            ))}
          </select>
        </div>
        <BusyButton
          type="submit"
          class="small"
          busy={save.busy}
          busyLabel="Saving…"
          disabled={target === current}
          aria-label={`Save the deployment for ${domain.hostname}`}
        >
          Save
        </BusyButton>
      </div>
      {!deployments && <p class="hint">Loading the ready deployments…</p>}
      <ErrorMessage error={save.error} prefix="Could not change what the domain serves" />
    </form>
  );
}

function DomainCard({
  domain,
  base,
  deployments,
  now,
  onUpdated,
  onRemoved,
  onChanged,
}: {
  domain: Domain;
  base: string;
  deployments: Deployment[] | undefined;
  now: number;
  onUpdated: (d: Domain) => void;
  onRemoved: () => void;
  onChanged: () => void;
}) {
  const path = `${base}/domains/${seg(domain.hostname)}`;
  const verify = useAction(async () => {
    const { domain: next } = await api.post<{ domain: Domain }>(`${path}/verify`);
    onUpdated(next);
  });
  const remove = useAction(async () => {
    if (
      !window.confirm(
        `Remove ${domain.hostname}? It stops being served at once. Adding it again gives a new TXT value.`,
      )
    ) {
      return;
    }
    await api.del(path);
    onRemoved();
  });
  const titleId = `domain-${domain.id}`;
  return (
    <li class="card stack domain" data-hostname={domain.hostname} aria-labelledby={titleId}>
      <div class="row">
        <h3 id={titleId} class="grow break">
          {domain.serving ? (
            <a class="url" href={`https://${domain.hostname}`} target="_blank" rel="noreferrer">
              {domain.hostname}
            </a>
          ) : (
            domain.hostname
          )}
        </h3>
        <DomainStatusBadge status={domain.status} />
      </div>
      <div role="status" class="stack domain-status">
        <p class="meta">
          <span>{domain.serving ? "Served now" : "Not served"}</span>
          <span class="muted">
            {domain.checkedAt ? (
              <>
                Checked{" "}
                <time dateTime={domain.checkedAt} title={when(domain.checkedAt)}>
                  {ago(domain.checkedAt, now)}
                </time>
              </>
            ) : (
              "Not checked yet"
            )}
          </span>
          {domain.status === "pending" && (
            <span class="muted">Re-checked every 15 minutes during its first 7 days</span>
          )}
        </p>
        {domain.detail && (
          <p class={domain.status === "verified" ? "muted" : "error-line problem"}>{domain.detail}</p>
        )}
      </div>
      {domain.status === "verified" ? (
        <details>
          <summary>DNS records</summary>
          <Records domain={domain} />
        </details>
      ) : (
        <Records domain={domain} />
      )}
      <CertificateStatus domain={domain} path={path} onChanged={onChanged} />
      <PinForm domain={domain} path={path} deployments={deployments} onSaved={onUpdated} />
      <div class="actions">
        <BusyButton
          busy={verify.busy}
          busyLabel="Checking the DNS…"
          onClick={() => void verify.run()}
          aria-label={`Check ${domain.hostname} now`}
        >
          Check now
        </BusyButton>
        <BusyButton
          class="danger"
          busy={remove.busy}
          busyLabel="Removing…"
          onClick={() => void remove.run()}
          aria-label={`Remove ${domain.hostname}`}
        >
          Remove
        </BusyButton>
      </div>
      <ErrorMessage error={verify.error} prefix="Could not check the DNS" />
      <ErrorMessage error={remove.error} prefix="Could not remove the domain" />
    </li>
  );
}

function AddDomain({ base, onAdded }: { base: string; onAdded: (d: Domain) => void }) {
  const [hostname, setHostname] = useState("");
  const add = useAction(async () => {
    const { domain } = await api.post<{ domain: Domain }>(`${base}/domains`, { hostname: hostname.trim() });
    setHostname("");
    onAdded(domain);
  });
  return (
    <form
      class="card stack"
      aria-labelledby="add-domain-title"
      onSubmit={(e) => {
        e.preventDefault();
        void add.run();
      }}
    >
      <h2 id="add-domain-title">Add a domain</h2>
      <p class="hint">
        A hostname you control, such as <code>www.example.com</code>. It serves this project's production
        deployment once its DNS records are in place. Wildcards are not supported: add each name.
      </p>
      <div class="row add-domain">
        <label class="grow">
          Domain
          <input
            name="hostname"
            required
            inputMode="url"
            autocomplete="off"
            autocapitalize="none"
            spellcheck={false}
            placeholder="www.example.com"
            value={hostname}
            onInput={(e) => setHostname(e.currentTarget.value)}
          />
        </label>
        <BusyButton type="submit" class="primary" busy={add.busy} busyLabel="Adding…">
          Add domain
        </BusyButton>
      </div>
      <ErrorMessage error={add.error} prefix="Could not add the domain" />
    </form>
  );
}

function Domains({ project }: { project: Project }) {
  const base = `/projects/${seg(project.name)}`;
  const now = useNow(10_000);
  const list = useResource(
    () => api.get<{ domains: Domain[] }>(`${base}/domains`).then((r) => r.domains),
    project.id,
  );
  const deployments = useResource(
    () => api.get<{ deployments: Deployment[] }>(`${base}/deployments?limit=100`).then((r) => r.deployments),
    project.id,
  );
  const domains = list.data ?? [];
  useInterval(() => void list.reload(), POLL_MS, domains.some(unsettled));
  const reload = () => void list.reload();
  // Add, verify and pin answer without the certificate: keep the one we have until the list is read again.
  const update = (next: Domain) => {
    const rest = domains.filter((d) => d.id !== next.id);
    const old = domains.find((d) => d.id === next.id);
    const merged = { ...next, certificate: next.certificate ?? old?.certificate ?? null };
    list.setData([...rest, merged].sort((a, b) => a.hostname.localeCompare(b.hostname)));
    reload();
  };
  return (
    <>
      <AddDomain base={base} onAdded={update} />
      <section aria-labelledby="domains-title">
        <h2 id="domains-title">Domains</h2>
        <ErrorMessage error={list.error} prefix="Could not load the domains" />
        <ErrorMessage error={deployments.error} prefix="Could not load the deployments to pin to" />
        {!list.data && !list.error && <Loading what="domains" />}
        {list.data &&
          (domains.length === 0 ? (
            <p class="muted">No custom domains yet. The project answers at its own address only.</p>
          ) : (
            <ul class="list" aria-label="Custom domains">
              {domains.map((d) => (
                <DomainCard
                  key={d.id}
                  domain={d}
                  base={base}
                  deployments={deployments.data}
                  now={now}
                  onUpdated={update}
                  onRemoved={() => {
                    list.setData(domains.filter((x) => x.id !== d.id));
                    reload();
                  }}
                  onChanged={reload}
                />
              ))}
            </ul>
          ))}
      </section>
    </>
  );
}

/** Custom domains: add, the DNS records to create, verification and TLS status, pin, remove. */
export function DomainsPage() {
  const { params } = useRoute();
  const project = useProject(params.name ?? "");
  return (
    <ProjectFrame project={project} tab="domains" title="Domains">
      {(p) => <Domains project={p} />}
    </ProjectFrame>
  );
}
