import { api, seg } from "../api/client.ts";
import { type Deployment, isFinalStatus, type Project } from "../api/types.ts";
import { ErrorMessage } from "../components/error-message.tsx";
import { BusyButton, Loading, StatusBadge, useTitle } from "../components/ui.tsx";
import { ago, firstLine, hostOf, when } from "../lib/format.ts";
import { useAction, useInterval, useResource } from "../lib/hooks.ts";

interface ProjectPage {
  projects: Project[];
  nextCursor: string | null;
}

const PAGE_SIZE = 50;

function LastDeployment({ project }: { project: Project }) {
  const latest = useResource(
    () =>
      api
        .get<{ deployments: Deployment[] }>(`/projects/${seg(project.id)}/deployments?limit=1`)
        .then((r) => r.deployments[0] ?? null),
    project.id,
  );
  const d = latest.data;
  useInterval(() => void latest.reload(), 4000, d !== undefined && d !== null && !isFinalStatus(d.status));
  if (latest.error) return <span class="muted">Could not load deployments: {latest.error.message}</span>;
  if (d === undefined) return <span class="muted">…</span>;
  if (d === null) return <span class="muted">No deployments yet</span>;
  return (
    <span class="meta">
      <StatusBadge status={d.status} />
      <span>{d.branch}</span>
      {d.commitSha && <code title={d.commitMessage ?? undefined}>{d.commitSha.slice(0, 7)}</code>}
      {d.commitMessage && <span class="commit">{firstLine(d.commitMessage, 48)}</span>}
      <time dateTime={d.createdAt} title={when(d.createdAt)}>
        {ago(d.createdAt)}
      </time>
    </span>
  );
}

function EmptyState() {
  return (
    <section class="empty card" aria-labelledby="empty-title">
      <h2 id="empty-title">Start your first project</h2>
      <p>There are two ways to put a site on Miaobu:</p>
      <ol class="ways">
        <li>
          <h3>Import a git repository</h3>
          <p>
            Miaobu clones it, detects the framework, builds it and deploys every push to its own URL. Use the
            deploy hook to build on demand.
          </p>
          <a class="button primary" href="/new">
            Import a repository
          </a>
        </li>
        <li>
          <h3>Deploy a folder with the CLI</h3>
          <p>Already have a built site? Upload its folder; only files Miaobu has not seen are sent.</p>
          <pre>
            <code>
              {
                "npx miaobu login --email you@example.com\nnpx miaobu projects create my-site\nnpx miaobu deploy ./dist --project my-site"
              }
            </code>
          </pre>
        </li>
      </ol>
    </section>
  );
}

/** Every project with its production URL and its latest deployment. */
export function ProjectsPage() {
  useTitle("Projects");
  const list = useResource(() => api.get<ProjectPage>(`/projects?limit=${PAGE_SIZE}`), "");
  const more = useAction(async () => {
    if (!list.data?.nextCursor) return;
    const next = await api.get<ProjectPage>(
      `/projects?limit=${PAGE_SIZE}&cursor=${seg(list.data.nextCursor)}`,
    );
    list.setData({ projects: list.data.projects.concat(next.projects), nextCursor: next.nextCursor });
  });
  const projects = { data: list.data?.projects, error: list.error };
  return (
    <section>
      <div class="page-head">
        <h1>Projects</h1>
        {projects.data && projects.data.length > 0 && (
          <a class="button primary" href="/new">
            New project
          </a>
        )}
      </div>
      <ErrorMessage error={projects.error} prefix="Could not load your projects" />
      {projects.data === undefined && !projects.error && <Loading what="projects" />}
      {projects.data?.length === 0 && <EmptyState />}
      {projects.data && projects.data.length > 0 && (
        <ul class="list projects" aria-label="Projects">
          {projects.data.map((p) => (
            <li key={p.id} class="card row">
              <div class="grow">
                <h2 class="title">
                  <a href={`/projects/${seg(p.name)}`}>{p.name}</a>
                </h2>
                {p.productionDeploymentId ? (
                  <a class="url" href={p.productionUrl} target="_blank" rel="noreferrer">
                    {hostOf(p.productionUrl)}
                  </a>
                ) : (
                  <span class="muted">Not in production yet</span>
                )}
              </div>
              <LastDeployment project={p} />
            </li>
          ))}
        </ul>
      )}
      {list.data?.nextCursor && (
        <BusyButton busy={more.busy} busyLabel="Loading…" onClick={() => void more.run()}>
          Load more
        </BusyButton>
      )}
      <ErrorMessage error={more.error} />
    </section>
  );
}
