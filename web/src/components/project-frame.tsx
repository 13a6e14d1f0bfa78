import type { ComponentChildren } from "preact";
import { api, seg } from "../api/client.ts";
import type { Project } from "../api/types.ts";
import { hostOf } from "../lib/format.ts";
import { type Resource, useResource } from "../lib/hooks.ts";
import { ErrorMessage } from "./error-message.tsx";
import { Loading, useTitle } from "./ui.tsx";

export type ProjectTab = "deployments" | "domains" | "env" | "hooks" | "settings";

const TABS: { tab: ProjectTab; label: string; suffix: string }[] = [
  { tab: "deployments", label: "Deployments", suffix: "" },
  { tab: "domains", label: "Domains", suffix: "/domains" },
  { tab: "env", label: "Environment variables", suffix: "/env" },
  { tab: "hooks", label: "Deploy hooks", suffix: "/hooks" },
  { tab: "settings", label: "Settings", suffix: "/settings" },
];

/** Loads the project named in the URL. */
export function useProject(name: string): Resource<Project> {
  return useResource(
    () => api.get<{ project: Project }>(`/projects/${seg(name)}`).then((r) => r.project),
    name,
  );
}

/** A project's header and tabs around one of its pages. */
export function ProjectFrame({
  project,
  tab,
  title,
  children,
}: {
  project: Resource<Project>;
  tab: ProjectTab | null;
  title: string;
  children: (project: Project) => ComponentChildren;
}) {
  const p = project.data;
  useTitle(p ? `${title} · ${p.name}` : title);
  if (!p) {
    return project.error ? (
      <section>
        <ErrorMessage error={project.error} prefix="Could not load the project" />
        <p>
          <a href="/">Back to projects</a>
        </p>
      </section>
    ) : (
      <Loading what="the project" />
    );
  }
  const base = `/projects/${seg(p.name)}`;
  return (
    <section>
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href="/">Projects</a> /
          </p>
          <h1>{p.name}</h1>
          <p class="meta">
            {p.productionDeploymentId ? (
              <a class="url" href={p.productionUrl} target="_blank" rel="noreferrer">
                {hostOf(p.productionUrl)}
              </a>
            ) : (
              <span class="muted">Not in production yet</span>
            )}
            {p.gitUrl && <span class="muted">{p.gitUrl}</span>}
          </p>
        </div>
      </div>
      <nav class="tabs" aria-label="Project">
        {TABS.map((t) => (
          <a key={t.tab} href={`${base}${t.suffix}`} aria-current={t.tab === tab ? "page" : undefined}>
            {t.label}
          </a>
        ))}
      </nav>
      {children(p)}
    </section>
  );
}
