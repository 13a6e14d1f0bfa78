import { seg } from "../api/client.ts";
import type { Deployment, Project } from "../api/types.ts";
import { ago, duration, firstLine, hostOf, when } from "../lib/format.ts";
import { DeploymentActions } from "./deployment-actions.tsx";
import { StatusBadge } from "./ui.tsx";

const SOURCE: Record<string, string> = {
  cli: "CLI or API",
  hook: "Deploy hook",
  git: "Git push",
  github: "GitHub",
  console: "Console",
};

/** How long a deployment took, or is taking. */
export function deploymentDuration(d: Deployment, now: number): string | null {
  const start = d.startedAt ?? d.createdAt;
  const end = d.finishedAt ?? d.readyAt;
  if (end) return duration(new Date(end).getTime() - new Date(start).getTime());
  if (d.startedAt) return `${duration(now - new Date(d.startedAt).getTime())} so far`;
  return null;
}

/** Who or what started a deployment. */
export function sourceLabel(source: string): string {
  return SOURCE[source] ?? source;
}

/** Deployments, newest first, each with its facts and actions. */
export function DeploymentList({
  project,
  deployments,
  production,
  now,
  onChanged,
}: {
  project: Project;
  deployments: Deployment[];
  production: Deployment | null;
  now: number;
  onChanged: () => void;
}) {
  const base = `/projects/${seg(project.name)}/deployments/`;
  return (
    <ul class="list deployments" aria-label="Deployments">
      {deployments.map((d) => {
        const took = deploymentDuration(d, now);
        return (
          <li key={d.id} class="card deployment" data-deployment={d.id}>
            <div class="row">
              <StatusBadge status={d.status} />
              <span class={`env ${d.isProduction ? "current" : ""}`}>
                {d.isProduction
                  ? "Production (current)"
                  : d.environment === "production"
                    ? "Production"
                    : "Preview"}
              </span>
              <a class="grow title" href={`${base}${seg(d.id)}`}>
                {d.branch}
                {d.commitSha && <code> {d.commitSha.slice(0, 7)}</code>}
                {d.commitMessage && <span class="commit"> {firstLine(d.commitMessage, 60)}</span>}
                <span class="sr-only"> — open deployment {d.shortId}</span>
              </a>
            </div>
            <div class="row meta">
              {d.status === "ready" && (
                <a class="url" href={d.url} target="_blank" rel="noreferrer">
                  {hostOf(d.url)}
                </a>
              )}
              <span>{sourceLabel(d.source)}</span>
              {took && <span>{took}</span>}
              <time dateTime={d.createdAt} title={when(d.createdAt)}>
                {ago(d.createdAt, now)}
              </time>
            </div>
            {d.errorMessage && <p class="muted error-line">{d.errorMessage}</p>}
            <DeploymentActions
              project={project}
              deployment={d}
              production={production}
              onChanged={onChanged}
            />
          </li>
        );
      })}
    </ul>
  );
}
